"""What the gateway takes from the outside world, injected so tests run on a fake clock with no
sleeps: a monotonic clock, a wall clock (budget days, record timestamps), sleep, a random source;
and where call records go."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from mapekd.llm.metrics import LLMMetrics
from mapekd.llm.types import CallRecord, Usage

log = logging.getLogger("mapekd.llm.gateway")

Sink = Callable[[CallRecord], None]
Kind = Literal["chat", "stream", "embed", "rank"]


@dataclass(frozen=True, slots=True)
class Runtime:
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True, slots=True)
class CallContext:
    """The caller's side of a call, copied into every record it leaves."""

    kind: Kind
    role: str | None = None
    tenant: str = "default"
    task: str | None = None


class Recorder:
    """One place where a call becomes metrics and a CallRecord for the sink."""

    def __init__(self, metrics: LLMMetrics, sink: Sink | None, wall_clock: Callable[[], float]):
        self.metrics = metrics
        self._sink = sink
        self._wall = wall_clock

    def success(
        self,
        ctx: CallContext,
        provider: str,
        model: str,
        usage: Usage,
        cost: float,
        latency_s: float,
        *,
        cached: bool = False,
    ) -> None:
        if not cached:
            self.metrics.call(provider, ctx.kind, latency_s, usage, cost, model)
        self._emit(ctx, provider, model, usage, cost, latency_s, cached, None)

    def failure(
        self,
        ctx: CallContext,
        provider: str,
        model: str,
        latency_s: float,
        error: BaseException,
        *,
        called: bool = True,
    ) -> None:
        name = type(error).__name__
        if called:
            self.metrics.error(provider, ctx.kind, latency_s, name)
        self._emit(ctx, provider, model, Usage(), 0.0, latency_s, False, name)

    def _emit(
        self,
        ctx: CallContext,
        provider: str,
        model: str,
        usage: Usage,
        cost: float,
        latency_s: float,
        cached: bool,
        error: str | None,
    ) -> None:
        if self._sink is None:
            return
        record = CallRecord(
            provider=provider,
            model=model,
            kind=ctx.kind,
            usage=usage,
            cost=cost,
            latency_s=latency_s,
            cached=cached,
            error_class=error,
            role=ctx.role,
            tenant=ctx.tenant,
            ts=self._wall(),
        )
        try:
            self._sink(record)
        except Exception:  # a broken sink must never break a call
            log.exception("call record sink failed")
