"""ollama specifics: native request shape, NDJSON stream endings, generate, embed, tags."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from mapekd.llm import errors
from mapekd.llm.providers.registry import OllamaProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from ..fakes.ollama_api import FakeOllama
from ..fakes.server import FakeServer, Reply
from .harness import config

SCHEMA = {"type": "object", "properties": {"action": {"enum": ["restart", "noop"]}}, "required": ["action"]}
REQUEST = ChatRequest(messages=(Message("system", "be brief"), Message("user", "hi")), max_tokens=16)


def make(url: str, model: str | None = "llama3.2") -> OllamaProvider:
    provider = build_provider(
        config({"name": "ol", "type": "ollama", "model": model, "base_url": url, "keep_alive": "5m"})
    )
    assert isinstance(provider, OllamaProvider)
    return provider


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer(FakeOllama()) as server:
        yield server


async def test_request_uses_native_fields(server: FakeServer) -> None:
    provider = make(server.url)
    request = ChatRequest(
        messages=REQUEST.messages,
        max_tokens=32,
        temperature=0.1,
        seed=3,
        top_p=0.9,
        stop=("END",),
        json_schema=SCHEMA,
        options={"num_ctx": 4096},
    )
    server.handler.script.answer('{"action": "restart"}')  # type: ignore[attr-defined]
    completion = await provider.chat(request)
    body = server.requests[-1].json()
    assert server.requests[-1].path == "/api/chat"
    assert body["stream"] is False and body["format"] == SCHEMA and body["keep_alive"] == "5m"
    assert body["options"] == {
        "temperature": 0.1,
        "num_predict": 32,
        "seed": 3,
        "top_p": 0.9,
        "stop": ["END"],
        "num_ctx": 4096,
    }
    assert json.loads(completion.text) == {"action": "restart"}
    assert completion.usage.input_tokens == 26
    await provider.close()


async def test_generate_lifts_system(server: FakeServer) -> None:
    provider = make(server.url)
    server.handler.script.answer("generated")  # type: ignore[attr-defined]
    completion = await provider.generate(REQUEST)
    body = server.requests[-1].json()
    assert server.requests[-1].path == "/api/generate"
    assert body["system"] == "be brief" and body["prompt"] == "hi" and "messages" not in body
    assert completion.text == "generated"
    await provider.close()


async def test_embed_and_tags(server: FakeServer) -> None:
    provider = make(server.url)
    result = await provider.embed(EmbeddingRequest(inputs=("ab", "abcd")))
    assert server.requests[-1].json() == {"model": "llama3.2", "input": ["ab", "abcd"]}
    assert [v[0] for v in result.vectors] == [2.0, 4.0]
    assert result.usage.input_tokens == 8
    assert await provider.models() == ["llama3.2:latest", "all-minilm:latest"]
    await provider.close()


async def test_unknown_model_is_not_found(server: FakeServer) -> None:
    provider = make(server.url, model="mistral")
    with pytest.raises(errors.NotFound, match="mistral"):
        await provider.chat(REQUEST)
    await provider.close()


async def test_no_model_is_a_bad_request(server: FakeServer) -> None:
    provider = make(server.url, model=None)
    with pytest.raises(errors.BadRequest):
        await provider.chat(REQUEST)
    await provider.close()


def line(value: dict[str, object]) -> bytes:
    return json.dumps(value).encode() + b"\n"


PIECE = line({"model": "llama3.2", "message": {"role": "assistant", "content": "Yes"}, "done": False})
ERROR = line({"error": "an error was encountered while running the model"})


async def stream_of(lines: list[bytes]) -> list[str]:
    reply = Reply(headers={"content-type": "application/x-ndjson"}, chunks=lines)
    async with FakeServer(lambda _: reply) as server:
        provider = make(server.url)
        try:
            return [c.delta async for c in provider.stream(REQUEST)]
        finally:
            await provider.close()


async def test_error_line_after_text_is_interrupted() -> None:
    with pytest.raises(errors.StreamInterrupted):
        await stream_of([PIECE, PIECE, ERROR])


async def test_error_line_before_text_is_a_server_error() -> None:
    with pytest.raises(errors.ServerError):
        await stream_of([ERROR])


async def test_stream_without_done_is_interrupted() -> None:
    with pytest.raises(errors.StreamInterrupted):
        await stream_of([PIECE, PIECE])
