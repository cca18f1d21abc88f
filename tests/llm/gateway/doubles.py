"""Test doubles for the gateway: a fake clock and sleep, and a scripted Provider.

A ScriptedProvider answers each call with the next item of its script: a text, an exception to
raise, or (for streams) a list of deltas and exceptions; when the script is empty, `default`.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from mapekd.llm.config import LLMSettings
from mapekd.llm.gateway import Gateway, Runtime, build_gateway
from mapekd.llm.providers.config import ProviderConfig
from mapekd.llm.types import (
    CallRecord,
    ChatRequest,
    Chunk,
    Completion,
    EmbeddingRequest,
    Embeddings,
    Message,
    Usage,
)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeSleep:
    """Records the delays asked for and advances the clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


class Hang:
    """Script item: never answer (until cancelled)."""


class ScriptedProvider:
    def __init__(self, name: str, model: str | None, key: str | None, default: Any = "ok") -> None:
        self.name = name
        self.model = model or "default-model"
        self.key = key
        self.default = default
        self.script: deque[Any] = deque()
        self.calls: list[Any] = []
        self.usage = Usage(10, 5)
        self.closed = False
        self.embeddings: bool = True

    def then(self, *items: Any) -> ScriptedProvider:
        self.script.extend(items)
        return self

    async def _next(self, request: Any) -> Any:
        self.calls.append(request)
        item = self.script.popleft() if self.script else self.default
        if isinstance(item, Hang):
            await asyncio.Event().wait()
        if isinstance(item, BaseException):
            raise item
        return item

    async def chat(self, request: ChatRequest) -> Completion:
        text = await self._next(request)
        return Completion(str(text), request.model or self.model, self.name, self.usage, "stop")

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        item = await self._next(request)
        parts = item if isinstance(item, list) else [str(item), None]
        for part in parts:
            if isinstance(part, BaseException):
                raise part
            if part is None:
                yield Chunk("", "stop", self.usage)
            else:
                yield Chunk(part)

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        from mapekd.llm.errors import UnsupportedFeature

        if not self.embeddings:
            raise UnsupportedFeature(f"{self.name}: no embeddings")
        await self._next(request)
        vectors = tuple((1.0, float(len(t))) for t in request.inputs)
        return Embeddings(vectors, self.model, self.name, Usage(len(request.inputs), 0))

    async def models(self) -> list[str]:
        return [self.model]

    async def close(self) -> None:
        self.closed = True


@dataclass
class Env:
    gateway: Gateway
    clock: FakeClock
    wall: FakeClock
    sleep: FakeSleep
    registry: CollectorRegistry
    records: list[CallRecord] = field(default_factory=list)
    providers: dict[str, list[ScriptedProvider]] = field(default_factory=dict)

    def p(self, name: str, key: int = 0) -> ScriptedProvider:
        return self.providers[name][key]

    def metric(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


def provider(name: str, type_: str = "openai_compat", **extra: Any) -> dict[str, Any]:
    base = {"openai_compat": {"base_url": "http://127.0.0.1:9/v1"}}.get(type_, {})
    return {"name": name, "type": type_, **base, **extra}


def make_env(config: dict[str, Any], **options: Any) -> Env:
    settings = LLMSettings.model_validate(config)
    clock, wall = FakeClock(), FakeClock(1_700_000_000.0)
    sleep = FakeSleep(clock)
    registry = CollectorRegistry()
    providers: dict[str, list[ScriptedProvider]] = {}

    def factory(cfg: ProviderConfig, key: SecretStr | None, model: str | None) -> ScriptedProvider:
        made = ScriptedProvider(cfg.name, model, key.get_secret_value() if key else None)
        providers.setdefault(cfg.name, []).append(made)
        return made

    records: list[CallRecord] = []
    runtime = Runtime(clock=clock, wall_clock=wall, sleep=sleep, rng=random.Random(7))
    gateway = build_gateway(
        settings,
        registry=registry,
        sink=records.append,
        runtime=runtime,
        provider_factory=factory,
        **options,
    )
    return Env(gateway, clock, wall, sleep, registry, records, providers)


def ask(text: str = "why is nginx down?", **fields: Any) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), **fields)
