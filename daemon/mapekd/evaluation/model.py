"""The LLM side shared by every run of an evaluation: one gateway (so a local model is loaded
once), whose call records go to the knowledge base of the run in progress, as the daemon's
gateway stores them in its own. Also the CPU the embedded model's own process spends."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import psutil
from prometheus_client import CollectorRegistry

from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord
from mapekd.plan.analysis_limit import AnalysisLimiter
from mapekd.plan.llm_call import LLMCaller, call_tags
from mapekd.plan.llm_plan import LLMPlanner
from mapekd.prompting import Prompts
from mapekd.reasoning import context_tokens, redactor_for, usable

MODEL_CHILD = "local_llama_child"
"""In the command line of the embedded model's own process (mapekd.llm.providers)."""


class SharedModel:
    def __init__(self, prompts: Path | None = None) -> None:
        self.prompts = prompts
        """Another directory of templates to evaluate (default: the shipped prompts)."""
        self.gateways: dict[str, Gateway] = {}
        """One per source: a source may decide with one provider of several."""
        self.store: SqliteStore | None = None
        self.model_cpu: dict[int, float] = {}
        """CPU seconds of each embedded-model process seen, by pid (its latest reading)."""

    def _sink(self, record: CallRecord) -> None:
        incident, template, version = call_tags.get()
        if self.store is not None:
            self.store.record_llm_call(record, incident_id=incident, template=template, version=version)

    def planner(self, source: str, settings: Settings, store: SqliteStore) -> LLMPlanner | None:
        """The planner as the daemon builds it (reasoning.py), on the gateway kept for `source`."""
        if not usable(settings):
            return None
        if source not in self.gateways:
            self.gateways[source] = build_gateway(settings.llm, registry=CollectorRegistry(), sink=self._sink)
        self.store = store
        caller = LLMCaller(
            self.gateways[source],
            Prompts(self.prompts),
            redactor_for(settings),
            context_tokens=context_tokens(settings),
        )
        limiter = AnalysisLimiter(settings.plan.analysis_per_hour, settings.plan.analysis_reuse)
        others = settings.redaction.other_processes
        return LLMPlanner(caller, store, settings.llm, limiter, others=others, plan=settings.plan)

    def cpu_s(self) -> float:
        """CPU seconds the embedded model's processes (this process's children) have spent so far."""
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if MODEL_CHILD in " ".join(child.cmdline()):
                    times = child.cpu_times()
                    self.model_cpu[child.pid] = times.user + times.system
        return sum(self.model_cpu.values())

    async def sample(self, interval: float = 0.5) -> None:
        """Read the model processes' CPU until cancelled: a process killed for a deadline keeps
        what it spent up to its last reading."""
        while True:
            await asyncio.to_thread(self.cpu_s)
            await asyncio.sleep(interval)

    async def close(self) -> None:
        for gateway in self.gateways.values():
            await gateway.close()
