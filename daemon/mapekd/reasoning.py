"""The daemon's LLM side, built once at start (and on reload) like the store, then passed in:
one gateway (its metrics on the daemon's registry, its daily budget seeded from the knowledge
base, every call record stored in `llm_calls`), the prompts, the redactor and the planner.

Where no model can answer and the HTTP API is off, nothing of it is built, and the LLM stack
(gateway, providers, Jinja2 prompts) is not even imported: a host healing from rules and
knowledge alone does not pay for it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mapekd.config.settings import Settings
from mapekd.knowledge.base import Store

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from mapekd.llm.gateway import Gateway
    from mapekd.llm.types import CallRecord
    from mapekd.plan.llm_plan import LLMPlanner
    from mapekd.prompting import Redactor

log = logging.getLogger("mapekd.daemon")


class Reasoning:
    def __init__(self, gateway: Gateway | None, planner: LLMPlanner | None) -> None:
        self.gateway = gateway
        """None when nothing needs one (no model can answer and the API is off)."""
        self.planner = planner

    @classmethod
    def build(cls, settings: Settings, store: Store, *, serve_api: bool = False) -> Reasoning:
        """`serve_api`: the daemon serves the gateway over HTTP, so it is built even when the
        loop itself cannot use a model."""
        can_plan = usable(settings)
        if not can_plan:
            log.warning(
                "no LLM available: deciding from rules and knowledge only",
                extra={"event": {"event": "llm_unavailable", "mode": settings.plan.llm}},
            )
            if not serve_api:
                return cls(None, None)
        gateway = _gateway(settings, store)
        if not can_plan:
            return cls(gateway, None)
        from mapekd.plan.analysis_limit import AnalysisLimiter
        from mapekd.plan.llm_call import LLMCaller
        from mapekd.plan.llm_plan import LLMPlanner
        from mapekd.prompting import Prompts

        caller = LLMCaller(
            gateway, Prompts(), redactor_for(settings), context_tokens=context_tokens(settings)
        )
        limiter = AnalysisLimiter(settings.plan.analysis_per_hour, settings.plan.analysis_reuse)
        return cls(
            gateway,
            LLMPlanner(
                caller,
                store,
                settings.llm,
                limiter,
                others=settings.redaction.other_processes,
                plan=settings.plan,
            ),
        )

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()


def _gateway(settings: Settings, store: Store) -> Gateway:
    from prometheus_client import CollectorRegistry

    from mapekd.llm.budget import start_of_utc_day
    from mapekd.llm.gateway import build_gateway
    from mapekd.plan.llm_call import call_tags

    def sink(record: CallRecord) -> None:
        incident, template, version = call_tags.get()
        store.record_llm_call(record, incident_id=incident, template=template, version=version)

    spent = store.llm_spent_since(start_of_utc_day(time.time()))
    return build_gateway(settings.llm, registry=CollectorRegistry(), sink=sink, spent_today=spent)


def redactor_for(settings: Settings) -> Redactor:
    """The one redactor of the daemon's prompts, as the `redaction:` section says."""
    from mapekd.prompting import Redactor

    r = settings.redaction
    return Redactor.from_settings(
        settings, mask_ips=r.mask_ips, mask_hosts=r.mask_hostnames, hostnames=r.hostnames
    )


def usable(settings: Settings) -> bool:
    """An LLM can answer: plan.llm is not `never` and some provider is configured (or the embedded
    local model is installed); the implicit offline provider has no answers of its own."""
    if settings.plan.llm == "never":
        return False
    return any(not getattr(p, "implicit", False) for p in settings.llm.effective_providers())


def context_tokens(settings: Settings) -> int:
    """The smallest context window among local models (the prompts must fit the smallest)."""
    windows = [getattr(p, "n_ctx", None) for p in settings.llm.effective_providers()]
    return min([w for w in windows if isinstance(w, int)] or [8192])


class CurrentGatewayMetrics:
    """Collects the metrics of the current gateway (the one the latest reload built): a
    prometheus_client collector (it only needs `collect`)."""

    def __init__(self, current: Callable[[], Reasoning | None]) -> None:
        self.current = current

    def collect(self) -> Iterable[Metric]:
        reasoning = self.current()
        if reasoning is not None and reasoning.gateway is not None:
            yield from reasoning.gateway.metrics.registry.collect()
