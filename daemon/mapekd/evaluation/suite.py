"""The decision suite: every chosen scenario, run with every chosen source, on processes it starts
in a temporary directory of its own; then the figures per source.

Every run has its own directory, processes (tagged), loopback ports and knowledge base; all of
them are stopped at its end. The held-out `alternating` scenario runs its episodes (one alert,
two causes in turn) against one knowledge base from empty."""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapekd.errors import ConfigError
from mapekd.evaluation.harness import RunPlan, copy_kb, healthy_now, retire, run_once
from mapekd.evaluation.memcg import CgroupUnavailable
from mapekd.evaluation.model import SharedModel
from mapekd.evaluation.scenarios import Scenario, scenarios
from mapekd.evaluation.score import score
from mapekd.evaluation.sources import SEED, USES_MODEL, base, config_for
from mapekd.evaluation.summary import summarize
from mapekd.evaluation.world import World

ALTERNATING = "alternating"
ALTERNATING_CAUSES = ("hang", "dependency_down")
"""One alert (web_unhealthy), two causes, three candidates: each cause needs its own remedy."""
HISTORY_S = 3600.0
"""Earlier runs are dated this far back: the action counter's window no longer counts them."""


@dataclass(frozen=True)
class Options:
    scenarios: list[str]
    sources: list[str]
    llm: dict[str, Any]
    repeats: int = 3
    seed_runs: int = 3
    episodes: int = 6
    deadline: float = 40.0
    prompts: Path | None = None
    base_env: dict[str, str] = field(default_factory=dict)


def chosen(names: list[str]) -> list[Scenario]:
    """The named scenarios (all but the held-out one when `names` is empty); raises on an unknown name."""
    every = {s.name: s for s in scenarios()}
    unknown = [n for n in names if n not in every and n != ALTERNATING]
    if unknown:
        listed = ", ".join([*every, ALTERNATING])
        raise ConfigError(f"unknown scenario {unknown[0]!r} (known: {listed})", path="--scenarios")
    return [every[n] for n in names if n in every] if names else list(every.values())


class Suite:
    def __init__(self, options: Options, tmp: Path, progress: Callable[[dict[str, Any]], None]) -> None:
        self.options = options
        self.tmp = tmp
        self.progress = progress
        self.model = SharedModel(options.prompts)
        self.count = 0

    async def once(self, scenario: Scenario, source: str, kb: Path) -> dict[str, Any]:
        self.count += 1
        world = World(self.tmp / f"run{self.count}", f"mapekd-eval-{os.getpid()}-{self.count}")
        deadline = self.options.deadline * (3 if base(source) in USES_MODEL else 1)
        plan = RunPlan(source, config_for(source, kb, self.options.llm), deadline, self.options.base_env)
        started, cpu_before = time.monotonic(), self.model.cpu_s()
        sampler = asyncio.create_task(self.model.sample())
        try:
            run = await run_once(scenario, plan, world, self.model)
            try:
                result = score(run, scenario, await asyncio.to_thread(healthy_now, run, scenario))
            finally:
                run.store.close()
        except (CgroupUnavailable, TimeoutError) as exc:  # the scene could not be set: this run only
            result = {"skipped": str(exc)}
        finally:
            sampler.cancel()
            await asyncio.to_thread(world.stop_all)
        spent = self.model.cpu_s() - cpu_before
        result["model_cpu_s"] = round(spent, 3) if self.model.model_cpu else None
        result["wall_s"] = round(time.monotonic() - started, 1)
        return {"scenario": scenario.name, "source": source, "expected": scenario.expected, **result}

    async def measure(self, scenario: Scenario, source: str) -> list[dict[str, Any]]:
        seed = self.tmp / f"seed-{scenario.name}.db"
        if base(source) == "knowledge" and scenario.rule is not None and not seed.exists():
            for _ in range(self.options.seed_runs):  # a control has nothing to learn
                await self.once(scenario, SEED, seed)
                retire(seed, HISTORY_S)
        results = []
        for repeat in range(self.options.repeats):
            kb = self.tmp / f"kb{self.count + 1}.db"
            if base(source) == "knowledge" and seed.exists():
                copy_kb(seed, kb)
            results.append(self.report({"repeat": repeat, **await self.once(scenario, source, kb)}))
        return results

    async def alternate(self, source: str) -> list[dict[str, Any]]:
        """The held-out episodes: the causes in turn, one knowledge base from empty."""
        by_name = {s.name: s for s in scenarios()}
        kb, seen, results = self.tmp / f"alternating-{source}.db", dict.fromkeys(ALTERNATING_CAUSES, 0), []
        for episode in range(self.options.episodes):
            cause = ALTERNATING_CAUSES[episode % len(ALTERNATING_CAUSES)]
            seen[cause] += 1
            result = await self.once(by_name[cause], source, kb)
            retire(kb, HISTORY_S)
            results.append(self.report({"episode": episode, "occurrence": seen[cause], **result}))
        return results

    def report(self, result: dict[str, Any]) -> dict[str, Any]:
        self.progress(result)
        return result


async def evaluate(options: Options, progress: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run the suite; the report: settings, scenarios, figures per source, and every run."""
    picked = chosen(options.scenarios)
    held_out = not options.scenarios or ALTERNATING in options.scenarios
    results: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mapekd-eval-") as tmp:
        suite = Suite(options, Path(tmp), progress)
        try:
            for scenario in picked:
                for source in options.sources:
                    results.extend(await suite.measure(scenario, source))
            for source in options.sources if held_out else []:
                results.extend(await suite.alternate(source))
        finally:
            await suite.model.close()
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()},
        "settings": {
            "scenarios": options.scenarios or "all",
            "sources": options.sources,
            "repeats": options.repeats,
            "seed_runs": options.seed_runs,
            "episodes": options.episodes if held_out else 0,
            "deadline_s": options.deadline,
            "prompts": str(options.prompts) if options.prompts else None,
        },
        "wall_s": round(time.monotonic() - started, 1),
        "scenarios": [
            {"name": s.name, "fault": s.fault, "expected": s.expected, "why": s.why, "rule": s.rule}
            for s in picked
        ],
        "summary": {s: summarize([r for r in results if r["source"] == s]) for s in options.sources},
        "runs": results,
    }
