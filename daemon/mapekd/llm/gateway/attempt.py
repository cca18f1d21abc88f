"""One admitted provider call: what it holds (breaker probe, rate-limit reservation, budget hold)
and how it ends: succeed, fail, or abandon. Every path releases everything exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapekd.llm.budget import Budget, BudgetHold
from mapekd.llm.errors import (
    AuthenticationFailed,
    MalformedResponse,
    ModelLoadFailed,
    ProviderError,
    ProviderTimeout,
    StreamInterrupted,
)
from mapekd.llm.gateway.routes import Route, Slot
from mapekd.llm.gateway.runtime import CallContext, Recorder
from mapekd.llm.limits import Reservation
from mapekd.llm.pricing import PriceTable
from mapekd.llm.routing import Strategy
from mapekd.llm.types import Usage

BREAKER_FAILURES = (MalformedResponse, AuthenticationFailed, StreamInterrupted, ModelLoadFailed)
"""Besides every retryable error (and a bare ProviderError, an unmapped failure), these say the
provider, not the request, is broken. BadRequest and NotFound do not: the request was wrong, or
(offline provider) there is no canned answer for this prompt."""


def counts_against_provider(exc: BaseException) -> bool:
    if not isinstance(exc, ProviderError):
        return False
    return exc.retryable or isinstance(exc, BREAKER_FAILURES) or type(exc) is ProviderError


@dataclass(slots=True)
class Services:
    """What attempts share: prices, budget, routing feedback, records."""

    prices: PriceTable
    budget: Budget
    strategy: Strategy
    recorder: Recorder


@dataclass(slots=True)
class Attempt:
    route: Route
    slot: Slot
    model: str
    """The model asked for, and priced ("" when the provider picks its default: then the model
    it reports is priced). Records carry the reported name, which may be a dated snapshot."""
    requested_model: str | None
    """What to ask the provider for; None: the slot's own default."""
    ctx: CallContext
    reservation: Reservation
    hold: BudgetHold
    started: float
    services: Services
    index: int
    """0 for the plan's first route: a success at a later index is a failover."""
    done: bool = field(default=False)

    def succeed(self, usage: Usage, model: str, now: float) -> float:
        """Settle at the real usage; returns the call's cost. `model` is the one reported."""
        if self.done:
            return 0.0
        self.done = True
        latency = now - self.started
        s = self.services
        priced = self.model or model
        price = s.prices.price(self.route.name, priced)
        cost = price.cost(usage.input_tokens, usage.output_tokens)
        if price.unpriced:
            s.recorder.metrics.unpriced_call(self.route.name, priced)
        self.reservation.settle(usage.total_tokens or self.reservation.tokens)
        s.budget.settle(self.hold, cost)
        self.route.breaker.record_success()
        s.strategy.observe(self.route.name, latency)
        s.recorder.success(self.ctx, self.route.name, model, usage, cost, latency)
        return cost

    def fail(self, exc: BaseException, now: float) -> None:
        if self.done:
            return
        self.done = True
        latency = now - self.started
        self.reservation.settle(0)
        self.services.budget.settle(self.hold, 0.0)
        if counts_against_provider(exc):
            self.route.breaker.record_failure()
        else:
            self.route.breaker.release()
        if isinstance(exc, ProviderTimeout):
            self.services.strategy.observe(self.route.name, latency)
        self.services.recorder.failure(self.ctx, self.route.name, self.model, latency, exc)

    def abandon(self) -> None:
        """The caller went away (cancelled, or closed a stream early): keep the worst-case
        charges, as the provider may have done the work, and tell the breaker nothing."""
        if self.done:
            return
        self.done = True
        self.reservation.settle(self.reservation.tokens)
        self.services.budget.settle(self.hold, self.hold.amount)
        self.route.breaker.release()
