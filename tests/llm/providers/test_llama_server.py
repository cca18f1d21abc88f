"""openai_compat against a real llama.cpp server (its C++ server, from xllamacpp) serving SmolLM2."""

from __future__ import annotations

import json

from mapekd.llm.providers.registry import OpenAICompatProvider, build_provider
from mapekd.llm.types import ChatRequest, Message

from ..conftest import requires_llama
from .actions import ASK, conforms
from .harness import config

pytestmark = requires_llama

HELLO = ChatRequest(messages=(Message("user", "Say hello in five words."),), max_tokens=16)


def make(url: str) -> OpenAICompatProvider:
    """llama.cpp's C++ server takes schemas the OpenAI way (`json_schema`, the default mode)."""
    provider = build_provider(
        config(
            {
                "name": "llamacpp",
                "type": "openai_compat",
                "base_url": url,
                "timeouts": {"total": 120},
            }
        )
    )
    assert isinstance(provider, OpenAICompatProvider)
    return provider


async def test_chat_and_models(llama_server: str) -> None:
    provider = make(llama_server)
    completion = await provider.chat(HELLO)
    assert completion.text.strip()
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert completion.finish_reason in ("stop", "length")
    assert await provider.models()
    await provider.close()


async def test_stream(llama_server: str) -> None:
    provider = make(llama_server)
    chunks = [c async for c in provider.stream(HELLO)]
    assert "".join(c.delta for c in chunks).strip()
    assert chunks[-1].finish_reason in ("stop", "length")
    await provider.close()


async def test_json_schema_answer_validates(llama_server: str) -> None:
    provider = make(llama_server)
    completion = await provider.chat(ASK)
    assert conforms(json.loads(completion.text)), completion.text
    await provider.close()
