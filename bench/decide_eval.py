"""Decision quality: fault scenarios on real processes, each decided by one source at a time.

    python bench/decide_eval.py [--repeats 1] [--llm-repeats 1] [--seed-runs 3] [--prompts DIR]
                                [--sources rule,knowledge,llm,pipeline] [--scenarios crash,hang,...]

Sources: `rule` (plan.llm never: the rule's remedy order), `knowledge` (a knowledge base seeded by
`--seed-runs` earlier runs of the same scenario; plan.llm always, so anything knowledge does not
settle goes to the model), `llm` (the embedded SmolLM2-135M-Instruct plans every decision;
policy.prefer_knowledge false; no analysis first, to keep the run short) and `pipeline` (the
defaults: plan.llm auto, knowledge on, the analysis on). Every run has its own directory,
processes, loopback ports and knowledge base; all of them are stopped at its end.
Prints a table and writes bench/data/decide_eval.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "daemon")]

from eval.harness import SharedModel, copy_kb, healthy_now, retire, run_once  # noqa: E402
from eval.scenarios import Scenario, scenarios  # noqa: E402
from eval.score import score, summarize  # noqa: E402
from eval.world import World  # noqa: E402

SOURCES: dict[str, dict[str, Any]] = {
    "rule": {"plan": {"llm": "never"}},
    "knowledge": {"plan": {"llm": "always", "analyze": False}},
    "llm": {"plan": {"llm": "always", "analyze": False}, "policy": {"prefer_knowledge": False}},
    "pipeline": {},
}
SEED = "rule"


def config_for(source: str, kb: Path) -> dict[str, Any]:
    own = SOURCES[source]
    return {
        "daemon": {"interval": "1s"},
        "policy": {"cooldown": "1s", "max_actions": 4, "window": "10m", **own.get("policy", {})},
        "plan": own.get("plan", {}),
        "knowledge": {"path": str(kb)},
        # Runs share one loaded model: no answer may come from another run's cache.
        "llm": {"cache": {"exact": {"enabled": False}}},
    }


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.model = SharedModel(args.prompts)
        self.count = 0

    async def once(self, scenario: Scenario, source: str, kb: Path) -> dict[str, Any]:
        self.count += 1
        world = World(self.tmp / f"run{self.count}", f"mapekd-decide-eval-{id(self)}-{self.count}")
        deadline = self.args.deadline * (3 if source in ("llm", "pipeline", "knowledge") else 1)
        started = time.monotonic()
        run = await run_once(scenario, config_for(source, kb), world, self.model, deadline)
        try:
            result = score(run, scenario, await asyncio.to_thread(healthy_now, run, scenario))
        finally:
            await asyncio.to_thread(world.stop_all)
            run.store.close()
        result["wall_s"] = round(time.monotonic() - started, 1)
        return result

    async def measure(self, scenario: Scenario, source: str) -> list[dict[str, Any]]:
        seed = self.tmp / f"seed-{scenario.name}.db"
        if source == "knowledge" and scenario.rule is not None:  # a control has nothing to learn
            for _ in range(self.args.seed_runs):
                await self.once(scenario, SEED, seed)
                retire(seed, 3600)
        repeats = self.args.llm_repeats if source in ("llm", "pipeline") else self.args.repeats
        results = []
        for repeat in range(repeats):
            kb = self.tmp / f"kb{self.count + 1}.db"
            if source == "knowledge" and seed.exists():
                copy_kb(seed, kb)
            result = await self.once(scenario, source, kb)
            result = {"scenario": scenario.name, "source": source, "repeat": repeat, **result}
            result["expected"] = scenario.expected
            results.append(result)
            print(line(result), flush=True)
        return results


def line(r: dict[str, Any]) -> str:
    mark = "ok " if r["correct"] else "BAD"
    ttm = f"{r['ttm_s']:.1f}s" if r["ttm_s"] is not None else "-"
    return (
        f"{mark} {r['scenario']:<16} {r['source']:<9} chose {r['choice']!s:<13} "
        f"(expected {r['expected']}, from {r['scored_source']}) ttm {ttm:>6} "
        f"actions {','.join(r['actions']) or '-'} [{r['wall_s']}s]"
    )


def table(summary: dict[str, dict[str, Any]]) -> str:
    rows = [
        ("correct remedy (fault runs)", "correct_rate"),
        ("actions on no-fault runs", "actions_on_no_fault_runs"),
        ("mitigated (fault runs)", "mitigated_rate"),
        ("median time to mitigate s", "ttm_median_s"),
        ("LLM asked", "llm_asked"),
        ("LLM answers (within the deadline)", "llm_answered"),
        ("  valid JSON", "llm_valid_json"),
        ("  valid answer (schema)", "llm_valid_answer"),
        ("  chose a candidate", "llm_chose_candidate"),
        ("  copied the prompt's example", "llm_copied_example"),
        ("  overridden", "llm_overridden"),
        ("  acted on as the LLM's", "llm_final"),
        ("own answers on scored decisions", "llm_own_answers_scored"),
        ("  of which the expected remedy", "llm_own_picked_expected"),
        ("median decision ms: knowledge", "latency_knowledge_ms"),
        ("median decision ms: rule", "latency_fast_rule_ms"),
        ("median decision ms: LLM path", "latency_llm_path_ms"),
        ("median plan call ms", "llm_plan_call_ms"),
    ]
    sources = list(summary)
    out = [f"{'':<36}" + "".join(f"{s:>12}" for s in sources)]
    for label, key in rows:
        out.append(f"{label:<36}" + "".join(f"{_fmt(summary[s][key]):>12}" for s in sources))
    return "\n".join(out)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    chosen = [s for s in scenarios() if not args.scenarios or s.name in args.scenarios.split(",")]
    sources = args.sources.split(",")
    results: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="decide-eval-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            for scenario in chosen:
                for source in sources:
                    results.extend(await bench.measure(scenario, source))
        finally:
            await bench.model.close()
    summary = {s: summarize([r for r in results if r["source"] == s]) for s in sources}
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": len(__import__("os").sched_getaffinity(0)), "python": platform.python_version()},
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "out"},
        "wall_s": round(time.monotonic() - started, 1),
        "scenarios": [
            {"name": s.name, "fault": s.fault, "expected": s.expected, "rule": s.rule} for s in chosen
        ],
        "summary": summary,
        "runs": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs per scenario: rule, knowledge")
    parser.add_argument("--llm-repeats", type=int, default=1, help="runs per scenario: llm, pipeline")
    parser.add_argument("--seed-runs", type=int, default=3, help="runs that seed the knowledge base")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    parser.add_argument("--deadline", type=float, default=40.0, help="seconds a rule-source run may take")
    parser.add_argument("--prompts", type=Path, default=None, help="templates to try (default: prompts/)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "decide_eval.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    report = asyncio.run(main_async(args))
    print()
    print(table(report["summary"]))
    print(f"\n{len(report['runs'])} runs in {report['wall_s']:.0f}s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
