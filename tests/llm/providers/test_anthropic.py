"""anthropic specifics: system lifted out, forced-tool JSON answers, error events, no embed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from mapekd.llm import errors
from mapekd.llm.providers.anthropic import ANSWER_TOOL
from mapekd.llm.providers.registry import AnthropicProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from ..fakes import anthropic_api
from ..fakes.anthropic_api import FakeAnthropic
from ..fakes.server import FakeServer, Reply
from .harness import config

KEY = "sk-ant-api03-secret"
SCHEMA = {"type": "object", "properties": {"action": {"enum": ["restart", "noop"]}}, "required": ["action"]}
REQUEST = ChatRequest(
    messages=(Message("system", "rule one"), Message("system", "rule two"), Message("user", "status?")),
    max_tokens=64,
    stop=("STOP",),
)


def make(url: str, key: str = KEY) -> AnthropicProvider:
    provider = build_provider(
        config({"name": "an", "type": "anthropic", "base_url": url, "model": "claude-sonnet-4-5"}),
        api_key=SecretStr(key),
    )
    assert isinstance(provider, AnthropicProvider)
    return provider


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer(FakeAnthropic(key=KEY)) as server:
        yield server


async def test_system_is_lifted_and_headers_sent(server: FakeServer) -> None:
    provider = make(server.url)
    completion = await provider.chat(REQUEST)
    sent = server.requests[-1]
    body = sent.json()
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert body["system"] == "rule one\n\nrule two"
    assert body["messages"] == [{"role": "user", "content": "status?"}]
    assert body["max_tokens"] == 64 and body["stop_sequences"] == ["STOP"]
    assert completion.finish_reason == "stop"
    await provider.close()


async def test_json_schema_through_a_forced_tool(server: FakeServer) -> None:
    provider = make(server.url)
    request = ChatRequest(messages=REQUEST.messages, json_schema=SCHEMA)
    server.handler.script.answer('{"action": "restart"}')  # type: ignore[attr-defined]
    completion = await provider.chat(request)
    body = server.requests[-1].json()
    assert body["tool_choice"] == {"type": "tool", "name": ANSWER_TOOL}
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert json.loads(completion.text) == {"action": "restart"}
    assert completion.finish_reason == "stop"
    server.handler.script.answer('{"action": "noop"}')  # type: ignore[attr-defined]
    chunks = [c async for c in provider.stream(request)]
    assert json.loads("".join(c.delta for c in chunks)) == {"action": "noop"}
    await provider.close()


async def test_wrong_key_is_authentication_failed_without_the_key(server: FakeServer) -> None:
    provider = make(server.url, key="sk-ant-wrong")
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await provider.chat(REQUEST)
    assert "sk-ant-wrong" not in str(caught.value)
    await provider.close()


async def test_error_event_before_text_is_overloaded() -> None:
    async with FakeServer(lambda _: anthropic_api.overloaded_event_stream()) as server:
        provider = make(server.url)
        with pytest.raises(errors.Overloaded):
            [c async for c in provider.stream(REQUEST)]
        await provider.close()


async def test_error_event_after_text_is_interrupted() -> None:
    good = FakeAnthropic(key=KEY)
    good.script.answer("one two three four five six seven")
    chunks = good(_messages_request()).chunks
    assert chunks is not None
    error = anthropic_api.overloaded_event_stream().chunks
    assert error is not None
    cut = Reply(headers={"content-type": "text/event-stream"}, chunks=chunks[:5] + error[1:])
    async with FakeServer(lambda _: cut) as server:
        provider = make(server.url)
        with pytest.raises(errors.StreamInterrupted):
            [c async for c in provider.stream(REQUEST)]
        await provider.close()


async def test_429_with_overloaded_type_is_overloaded() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    async with FakeServer(lambda _: Reply.json(body, 429, {"retry-after": "5"})) as server:
        provider = make(server.url)
        with pytest.raises(errors.Overloaded) as caught:
            await provider.chat(REQUEST)
        assert caught.value.retry_after == 5.0
        await provider.close()


async def test_embed_is_unsupported_and_models_listed(server: FakeServer) -> None:
    provider = make(server.url)
    with pytest.raises(errors.UnsupportedFeature):
        await provider.embed(EmbeddingRequest(inputs=("x",)))
    assert await provider.models() == [anthropic_api.MODEL]
    await provider.close()


def _messages_request() -> anthropic_api.Request:
    body = {"model": "m", "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": "x"}]}
    return anthropic_api.Request(
        "POST",
        "/v1/messages",
        {"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        json.dumps(body).encode(),
    )
