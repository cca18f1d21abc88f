"""The daemon's LLM side, built once at start (and on reload) like the store, then passed in:
one gateway (its metrics on the daemon's registry, its daily budget seeded from the knowledge
base, every call record stored in `llm_calls`), the prompts, the redactor and the planner."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.budget import start_of_utc_day
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord
from mapekd.plan.llm_call import LLMCaller, call_tags
from mapekd.plan.llm_plan import LLMPlanner
from mapekd.prompting import Prompts, Redactor

log = logging.getLogger("mapekd.daemon")


class Reasoning:
    def __init__(self, gateway: Gateway, planner: LLMPlanner | None) -> None:
        self.gateway = gateway
        self.planner = planner

    @classmethod
    def build(cls, settings: Settings, store: SqliteStore) -> Reasoning:
        def sink(record: CallRecord) -> None:
            incident, template, version = call_tags.get()
            store.record_llm_call(record, incident_id=incident, template=template, version=version)

        spent = store.llm_spent_since(start_of_utc_day(time.time()))
        gateway = build_gateway(settings.llm, registry=CollectorRegistry(), sink=sink, spent_today=spent)
        if not usable(settings):
            log.warning(
                "no LLM available: deciding from rules and knowledge only",
                extra={"event": {"event": "llm_unavailable", "mode": settings.plan.llm}},
            )
            return cls(gateway, None)
        caller = LLMCaller(
            gateway, Prompts(), redactor_for(settings), context_tokens=context_tokens(settings)
        )
        return cls(gateway, LLMPlanner(caller, store, settings.llm))

    async def close(self) -> None:
        await self.gateway.close()


def redactor_for(settings: Settings) -> Redactor:
    """The one redactor of the daemon's prompts, as the `redaction:` section says."""
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


class CurrentGatewayMetrics(Collector):
    """Collects the metrics of the current gateway (the one the latest reload built)."""

    def __init__(self, current: Callable[[], Reasoning | None]) -> None:
        self.current = current

    def collect(self) -> Iterable[Metric]:
        reasoning = self.current()
        if reasoning is not None:
            yield from reasoning.gateway.metrics.registry.collect()
