"""The official OpenAI SDK as a real client against /v1 over loopback."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from tests.api.harness import LLM, READ, Api, llm_settings
from tests.llm.gateway.loopback import LoopbackServer


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with Api(
        tmp_path, api={"limits": {"max_prompt_chars": 2000, "blocked_patterns": [r"(?i)rm -rf /"]}}
    ) as a:
        yield a


def sdk(api: Api, token: str = LLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=api.url + "/v1", api_key=token, max_retries=0, timeout=30.0)


async def test_chat_completion(api: Api) -> None:
    client = sdk(api)
    raw = await client.chat.completions.with_raw_response.create(
        model="canned-model", messages=[{"role": "user", "content": "hello there"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the offline provider."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    assert raw.headers["x-llm-actual-provider"] == "canned"


async def test_streaming_assembles_the_whole_answer(api: Api) -> None:
    client = sdk(api)
    stream = await client.chat.completions.create(
        messages=[{"role": "user", "content": "hello again"}],
        model="canned-model",
        stream=True,
        stream_options={"include_usage": True},
    )
    deltas, finishes, usage = [], [], None
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            deltas.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)
    assert "".join(deltas) == "Hello from the offline provider."
    assert finishes[-1] == "stop" and usage is not None and usage.completion_tokens == 5


async def test_stream_broken_after_first_chunk_raises_in_the_sdk(api: Api) -> None:
    client = sdk(api)
    received = []
    stream = await client.chat.completions.create(
        messages=[{"role": "user", "content": "cut me off"}], model="canned-model", stream=True
    )
    with pytest.raises(openai.APIError) as caught:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received, "the first chunks arrived before the break"
    assert "stream" in str(caught.value.message).lower()


async def test_models_and_embeddings(api: Api) -> None:
    client = sdk(api)
    models = [m async for m in client.models.list()]
    assert [(m.id, m.owned_by) for m in models] == [("canned-model", "canned")]
    result = await client.embeddings.create(model="canned-model", input=["disk full", "web down"])
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 64 and result.data[0].embedding != result.data[1].embedding
    encoded = await client.embeddings.create(
        model="canned-model", input="disk full", encoding_format="base64"
    )
    packed = base64.b64decode(str(encoded.data[0].embedding))
    assert list(struct.unpack("<64f", packed)) == pytest.approx(result.data[0].embedding, abs=1e-6)


@pytest.mark.parametrize(
    ("token", "error"),
    [("not-a-valid-token-at-all", openai.AuthenticationError), (READ, openai.PermissionDeniedError)],
)
async def test_auth_errors_are_sdk_exceptions(api: Api, token: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        await sdk(api, token).chat.completions.create(
            messages=[{"role": "user", "content": "hello"}], model="x"
        )


async def test_limits_are_bad_requests_with_openai_error_bodies(api: Api) -> None:
    client = sdk(api)
    with pytest.raises(openai.BadRequestError) as too_long:
        await client.chat.completions.create(messages=[{"role": "user", "content": "x" * 2001}], model="m")
    assert too_long.value.code == "prompt_too_long"
    with pytest.raises(openai.BadRequestError) as blocked:
        await client.chat.completions.create(
            messages=[{"role": "user", "content": "please RM -RF / now"}], model="m"
        )
    assert blocked.value.code == "blocked_content" and blocked.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as invalid:
        await client.chat.completions.create(messages=[], model="m")
    assert invalid.value.param == "messages"


async def test_unknown_pinned_provider_is_not_found(api: Api) -> None:
    client = sdk(api)
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            messages=[{"role": "user", "content": "hello"}],
            model="m",
            extra_headers={"X-LLM-Provider": "nope"},
        )


async def test_all_providers_failing_is_a_server_error(api: Api) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await sdk(api).chat.completions.create(
            messages=[{"role": "user", "content": "broken upstream"}], model="m"
        )
    assert caught.value.status_code == 502


async def test_per_token_rate_limit(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"limits": {"rpm": 2}}) as api:
        client = sdk(api)
        for _ in range(2):
            await client.chat.completions.create(messages=[{"role": "user", "content": "hello"}], model="m")
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(messages=[{"role": "user", "content": "hello"}], model="m")
        assert int(caught.value.response.headers["retry-after"]) >= 1


async def test_allowed_models(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"limits": {"allowed_models": ["canned-model"]}}) as api:
        client = sdk(api)
        await client.chat.completions.create(
            messages=[{"role": "user", "content": "hello"}], model="canned-model"
        )
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                messages=[{"role": "user", "content": "hello"}], model="gpt-9"
            )
        assert caught.value.code == "model_not_allowed"


async def test_provider_header_pins_and_actual_provider_names_who_answered(tmp_path: Path) -> None:
    async with (
        LoopbackServer("ok") as upstream,
        Api(tmp_path, llm=llm_settings(tmp_path, upstream.url)) as api,
    ):
        client = sdk(api)
        first = await client.chat.completions.with_raw_response.create(
            messages=[{"role": "user", "content": "hello"}], model="up-1"
        )
        assert first.headers["x-llm-actual-provider"] == "upstream"
        assert first.parse().choices[0].message.content == "from loopback"
        pinned = await client.chat.completions.with_raw_response.create(
            messages=[{"role": "user", "content": "hello"}],
            model="m",
            extra_headers={"X-LLM-Provider": "canned"},
        )
        assert pinned.headers["x-llm-actual-provider"] == "canned"
        assert upstream.requests == 1, "the pinned call never reached the other provider"
        streamed = await client.chat.completions.with_raw_response.create(
            messages=[{"role": "user", "content": "hello"}],
            model="m",
            stream=True,
            extra_headers={"X-LLM-Provider": "canned"},
        )
        assert streamed.headers["x-llm-actual-provider"] == "canned"
        text = "".join([c.choices[0].delta.content or "" async for c in streamed.parse() if c.choices])
        assert text == "Hello from the offline provider."
        unpinned = await client.chat.completions.with_raw_response.create(
            messages=[{"role": "user", "content": "hello, streamed"}], model="up-1", stream=True
        )
        assert unpinned.headers["x-llm-actual-provider"] == "upstream"  # known from the first chunk


async def test_upstream_down_fails_over_to_the_offline_provider(tmp_path: Path) -> None:
    async with (
        LoopbackServer("error") as upstream,
        Api(tmp_path, llm=llm_settings(tmp_path, upstream.url)) as api,
    ):
        raw = await sdk(api).chat.completions.with_raw_response.create(
            messages=[{"role": "user", "content": "hello"}], model="m"
        )
        assert raw.headers["x-llm-actual-provider"] == "canned"
        assert upstream.requests >= 1
