"""Failover with one retry budget per request.

Online routes are tried in plan order; a route that fails with a retryable error may be tried
again once every other route had its turn, after a backoff (Retry-After honoured). Each provider
call spends one attempt of the request's budget, whichever route it goes to. Routes that refuse
locally (circuit open, rate limit, budget) are skipped at no cost, so a dead primary behind an open
breaker costs microseconds. Offline routes come last, once each, outside the budget: the final
fallback is never starved by the online ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from mapekd.errors import LLMError
from mapekd.llm.config import RetrySettings
from mapekd.llm.errors import (
    AllProvidersFailed,
    BudgetExceeded,
    CircuitOpen,
    ProviderError,
    ProviderTimeout,
    RateLimitExceeded,
    UnsupportedFeature,
)
from mapekd.llm.gateway.attempt import Attempt, Services
from mapekd.llm.gateway.route_order import Step
from mapekd.llm.gateway.routes import Slot
from mapekd.llm.gateway.runtime import CallContext, Runtime, log
from mapekd.llm.limits import Reservation
from mapekd.llm.retry import RetryBudget, is_retryable
from mapekd.llm.types import Usage

T = TypeVar("T")
Invoke = Callable[[Attempt], Awaitable[T]]
UsageOf = Callable[[T, Attempt], tuple[Usage, str]]


class Estimate:
    """What a call may cost at most, known before it: tokens to reserve, and their split."""

    __slots__ = ("input_tokens", "output_tokens")

    def __init__(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class Executor:
    def __init__(self, retries: RetrySettings, services: Services, runtime: Runtime) -> None:
        self.retries = retries
        self.services = services
        self.runtime = runtime

    async def run(
        self,
        steps: Sequence[Step],
        ctx: CallContext,
        est: Estimate,
        invoke: Invoke[T],
        usage_of: UsageOf[T] | None,
    ) -> tuple[T, Attempt]:
        """The first successful `invoke`, and its attempt (settled unless `usage_of` is None:
        then the caller settles it, as a stream does at its end)."""
        budget = RetryBudget(self.retries, rng=self.runtime.rng, sleep=self.runtime.sleep)
        errors: list[LLMError] = []
        online = [(i, s) for i, s in enumerate(steps) if not s.route.offline]
        offline = [(i, s) for i, s in enumerate(steps) if s.route.offline]
        last: dict[str, LLMError] = {}
        while online and budget.left > 0:
            for i, step in list(online):
                if budget.left <= 0:
                    break
                name = step.route.name
                if name in last:
                    delay = budget.backoff(last[name])
                    if delay is None:
                        online.remove((i, step))
                        continue
                    await budget.wait(delay)
                got = await self._once(step, i, ctx, est, invoke, usage_of, budget, errors)
                if got is not None:
                    return got
                last[name] = errors[-1]
                if not is_retryable(errors[-1]):
                    online.remove((i, step))
        for i, step in offline:
            got = await self._once(step, i, ctx, est, invoke, usage_of, None, errors)
            if got is not None:
                return got
        raise final_error(errors)

    async def _once(
        self,
        step: Step,
        index: int,
        ctx: CallContext,
        est: Estimate,
        invoke: Invoke[T],
        usage_of: UsageOf[T] | None,
        budget: RetryBudget | None,
        errors: list[LLMError],
    ) -> tuple[T, Attempt] | None:
        try:
            attempt = await self._admit(step, index, ctx, est)
        except (CircuitOpen, RateLimitExceeded, BudgetExceeded) as exc:
            errors.append(exc)
            self.services.recorder.failure(ctx, step.route.name, step.model or "", 0.0, exc, called=False)
            return None
        if budget is not None:
            budget.take()
        clock = self.runtime.clock
        try:
            async with asyncio.timeout(step.route.timeout_s):
                result = await invoke(attempt)
        except TimeoutError:
            timeout = ProviderTimeout(step.route.name, f"no answer in {step.route.timeout_s:g}s")
            attempt.fail(timeout, clock())
            errors.append(timeout)
            return None
        except asyncio.CancelledError:
            attempt.abandon()
            raise
        except Exception as exc:
            error = exc if isinstance(exc, LLMError) else unexpected(step.route.name, exc)
            attempt.fail(error, clock())
            errors.append(error)
            return None
        if usage_of is not None:
            usage, model = usage_of(result, attempt)
            attempt.succeed(usage, model, clock())
            self.count_route(attempt)
        return result, attempt

    def count_route(self, attempt: Attempt) -> None:
        metrics = self.services.recorder.metrics
        if attempt.index > 0:
            metrics.failovers.inc()
        if attempt.route.offline:
            metrics.offline_hits.inc()

    async def _admit(self, step: Step, index: int, ctx: CallContext, est: Estimate) -> Attempt:
        route = step.route
        if not route.breaker.allow():
            raise CircuitOpen(route.name)
        try:
            slot, reservation = await self._reserve(step, est.tokens)
        except RateLimitExceeded:
            route.breaker.release()
            self.services.recorder.metrics.limited.labels(route.name).inc()
            raise
        model = step.model or slot.model or route.default_model or ""
        cost = self.services.prices.cost_of(route.name, model, est.input_tokens, est.output_tokens)
        try:
            hold = self.services.budget.reserve(cost, ctx.task)
        except BudgetExceeded:
            reservation.settle(0)
            route.breaker.release()
            raise
        return Attempt(
            route,
            slot,
            model,
            step.model,
            ctx,
            reservation,
            hold,
            self.runtime.clock(),
            self.services,
            index,
        )

    async def _reserve(self, step: Step, tokens: float) -> tuple[Slot, Reservation]:
        route = step.route
        waited = 0.0
        while True:
            got = route.try_slot(tokens)
            if not isinstance(got, float):
                return got
            if not route.limits.blocking or waited + got > route.limits.max_wait:
                raise route.limited(tokens, got)
            self.services.recorder.metrics.limited.labels(route.name).inc()
            waited += got
            await self.runtime.sleep(got)


def unexpected(provider: str, exc: Exception) -> ProviderError:
    """A provider raised outside the error tree (a bug in it): logged with its traceback, then
    handled as a failure of that provider, so the request can still fail over."""
    log.error("provider %s raised an unmapped %s", provider, type(exc).__name__, exc_info=exc)
    error = ProviderError(provider, f"unexpected {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def final_error(errors: list[LLMError]) -> LLMError:
    """Every route failed: one local cause shared by all is raised as itself (a caller can wait
    out a rate limit, stop on a budget, do without embeddings); else AllProvidersFailed."""
    for kind in (BudgetExceeded, UnsupportedFeature):
        if errors and all(isinstance(e, kind) for e in errors):
            return errors[0]
    limited = [e for e in errors if isinstance(e, RateLimitExceeded)]
    if errors and len(limited) == len(errors):
        if len(limited) == 1:
            return limited[0]
        wait = min(e.wait_s for e in limited)
        detail = "; ".join(str(e) for e in limited)
        return RateLimitExceeded(f"every provider is rate limited: {detail}", wait_s=wait)
    return AllProvidersFailed(errors)
