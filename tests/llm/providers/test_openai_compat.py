"""openai_compat specifics: the request it sends and the stream endings it refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from mapekd.llm import errors
from mapekd.llm.providers.registry import OpenAICompatProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from ..fakes.openai_api import FakeOpenAI
from ..fakes.server import FakeServer, Reply
from .harness import config

SCHEMA = {"type": "object", "properties": {"action": {"enum": ["restart", "noop"]}}, "required": ["action"]}
REQUEST = ChatRequest(messages=(Message("user", "hi"),), max_tokens=16)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer(FakeOpenAI(key="sk-secret-123")) as server:
        yield server


def make(server: FakeServer, key: str = "sk-secret-123", **timeouts: float) -> OpenAICompatProvider:
    raw = {
        "name": "oa",
        "type": "openai_compat",
        "model": "gpt-4o-mini",
        "base_url": server.url + "/v1",
        "timeouts": timeouts or {"total": 10},
    }
    provider = build_provider(config(raw), api_key=SecretStr(key))
    assert isinstance(provider, OpenAICompatProvider)
    return provider


async def test_request_body_and_headers(server: FakeServer) -> None:
    provider = make(server)
    request = ChatRequest(
        messages=(Message("system", "s"), Message("user", "u")),
        max_tokens=32,
        temperature=0.2,
        seed=7,
        stop=("\n",),
        json_schema=SCHEMA,
        options={"frequency_penalty": 0.5},
    )
    server.handler.script.answer('{"action": "noop"}')  # type: ignore[attr-defined]
    completion = await provider.chat(request)
    sent = server.requests[-1]
    body = sent.json()
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-secret-123"
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 32 and body["seed"] == 7
    assert body["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert body["stop"] == ["\n"] and body["frequency_penalty"] == 0.5
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    assert json.loads(completion.text) == {"action": "noop"}
    await provider.close()


async def test_stream_asks_for_usage(server: FakeServer) -> None:
    provider = make(server)
    chunks = [c async for c in provider.stream(REQUEST)]
    body = server.requests[-1].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert chunks[-1].usage is not None and chunks[-1].usage.input_tokens == 9
    await provider.close()


async def test_wrong_key_fails_without_leaking_it(server: FakeServer) -> None:
    provider = make(server, key="sk-wrong-456")
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await provider.chat(REQUEST)
    assert "sk-wrong-456" not in str(caught.value)
    assert "***" in str(caught.value)
    await provider.close()


async def test_embeddings_keep_input_order(server: FakeServer) -> None:
    provider = make(server)
    result = await provider.embed(EmbeddingRequest(inputs=("a", "bbb", "cc")))
    assert [v[0] for v in result.vectors] == [1.0, 3.0, 2.0]
    assert result.usage.input_tokens == 3
    assert await provider.models() == ["gpt-4o-mini", "text-embedding-3-small"]
    await provider.close()


def sse(*items: str) -> list[bytes]:
    return [f"data: {item}\n\n".encode() for item in items]


CHUNK = '{"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": null}]}'
FINISH = '{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}'


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(sse(CHUNK, FINISH), id="no [DONE], connection closed cleanly"),
        pytest.param(sse(CHUNK, "[DONE]"), id="[DONE] without finish_reason"),
        pytest.param([*sse(CHUNK), b"data: [DONE]\n"], id="[DONE] event never terminated"),
        pytest.param(
            sse(CHUNK, '{"error": {"message": "boom", "type": "server_error"}}'), id="error object mid-stream"
        ),
    ],
)
async def test_unfinished_streams_are_interrupted(events: list[bytes]) -> None:
    async with FakeServer(
        lambda _: Reply(headers={"content-type": "text/event-stream"}, chunks=events)
    ) as server:
        provider = make(server)
        with pytest.raises(errors.StreamInterrupted):
            [c async for c in provider.stream(REQUEST)]
        await provider.close()


async def test_total_timeout_bounds_a_slow_stream() -> None:
    """Read timeout is generous; the total timeout still ends a stream that never finishes."""
    async with FakeServer(lambda _: Reply(stall=True)) as server:
        provider = make(server, connect=2, read=30, total=0.3)
        with pytest.raises(errors.ProviderTimeout, match=r"0\.3s"):
            await provider.chat(REQUEST)
        await provider.close()


async def test_connection_refused_is_unavailable() -> None:
    async with FakeServer(lambda _: Reply()) as server:
        url = server.url
    provider = build_provider(config({"name": "oa", "type": "openai_compat", "base_url": url + "/v1"}))
    with pytest.raises(errors.ProviderUnavailable):
        await provider.chat(REQUEST)
    await provider.close()


async def test_tool_calls_become_json_text() -> None:
    body = {
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "restart", "arguments": '{"unit": "web"}'},
                        }
                    ],
                },
            }
        ],
    }
    async with FakeServer(lambda _: Reply.json(body)) as server:
        provider = make(server)
        completion = await provider.chat(REQUEST)
        assert json.loads(completion.text) == [{"name": "restart", "arguments": {"unit": "web"}}]
        assert completion.finish_reason == "tool_calls"
        await provider.close()
