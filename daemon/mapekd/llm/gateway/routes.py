"""Routes: one per configured provider, each with its API-key slots, breaker and limits.

A provider with several API keys gets one Provider instance per key (a Slot), each with its own
model and RPM/TPM; a call takes the next slot round-robin that has capacity now. The provider's
own limits (`llm.limits.<name>`) apply on top of every slot's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from mapekd.llm.base import Provider
from mapekd.llm.breaker import CircuitBreaker
from mapekd.llm.config import IMPLICIT_NOTE, OFFLINE_TYPES, LimitSettings, LLMSettings
from mapekd.llm.errors import RateLimitExceeded
from mapekd.llm.limits import RateLimiter, Reservation, describe_wait, try_reserve
from mapekd.llm.providers.config import ProviderConfig

ProviderFactory = Callable[[ProviderConfig, SecretStr | None, str | None], Provider]


@dataclass(slots=True)
class Slot:
    provider: Provider
    model: str | None
    limiter: RateLimiter | None
    index: int = 0


@dataclass(slots=True)
class Route:
    name: str
    config: ProviderConfig
    slots: list[Slot]
    breaker: CircuitBreaker
    limiter: RateLimiter | None
    limits: LimitSettings
    offline: bool
    timeout_s: float
    implicit: bool = False
    """The implicit offline provider of a configuration with none: status and smoke say so."""
    _next: int = field(default=0)

    @property
    def default_model(self) -> str | None:
        return self.config.model

    def try_slot(self, tokens: float) -> tuple[Slot, Reservation] | float:
        """The next slot with capacity, with its reservation; else the shortest wait."""
        count = len(self.slots)
        if count == 1 and self.limiter is None and self.slots[0].limiter is None:
            return self.slots[0], Reservation([], tokens)
        wait = math.inf
        for offset in range(count):
            slot = self.slots[(self._next + offset) % count]
            scopes = [s for s in (self.limiter, slot.limiter) if s is not None]
            got = try_reserve(scopes, tokens)
            if isinstance(got, Reservation):
                self._next = (slot.index + 1) % count
                return slot, got
            wait = min(wait, got)
        return wait

    def limited(self, tokens: float, wait: float) -> RateLimitExceeded:
        return RateLimitExceeded(describe_wait(self.name, wait, tokens), wait_s=wait)

    def snapshot(self) -> dict[str, Any]:
        keys = [
            {"key": s.index, "model": s.model, **(s.limiter.snapshot() if s.limiter else {})}
            for s in self.slots
        ]
        return {
            "name": self.name,
            "type": self.config.type,
            "model": self.config.model,
            "offline": self.offline,
            "breaker": self.breaker.snapshot(),
            "limits": self.limiter.snapshot() if self.limiter else None,
            "blocking": self.limits.blocking,
            "keys": keys,
            "note": IMPLICIT_NOTE if self.implicit else None,
        }


def build_routes(settings: LLMSettings, factory: ProviderFactory, clock: Callable[[], float]) -> list[Route]:
    return [_route(settings, config, factory, clock) for config in settings.effective_providers()]


def _route(
    settings: LLMSettings,
    config: ProviderConfig,
    factory: ProviderFactory,
    clock: Callable[[], float],
) -> Route:
    limits = settings.limits.get(config.name, LimitSettings())
    keys = config.keys()
    slots: list[Slot] = []
    for i, key in enumerate(keys or [None]):
        model = key.model if key and key.model else config.model
        limiter = None
        if key is not None and (key.rpm or key.tpm):
            limiter = RateLimiter(
                f"{config.name}[key {i}]",
                rpm=key.rpm,
                tpm=key.tpm,
                algorithm=limits.algorithm,
                clock=clock,
            )
        provider = factory(config, key.key if key else None, model)
        slots.append(Slot(provider=provider, model=model, limiter=limiter, index=i))
    provider_limiter = None
    if limits.rpm or limits.tpm:
        provider_limiter = RateLimiter(
            config.name, rpm=limits.rpm, tpm=limits.tpm, algorithm=limits.algorithm, clock=clock
        )
    breaker = CircuitBreaker(
        config.name,
        failure_threshold=settings.breaker.failure_threshold,
        reset_timeout=settings.breaker.reset_timeout,
        clock=clock,
    )
    return Route(
        name=config.name,
        config=config,
        slots=slots,
        breaker=breaker,
        limiter=provider_limiter,
        limits=limits,
        offline=isinstance(config, OFFLINE_TYPES),
        timeout_s=config.timeouts.total,
        implicit=config.implicit,
    )
