"""`mapekd eval`: see how the configured model decides before trusting it.

A thin edge over mapekd.evaluation: it starts its own services on loopback in a temporary
directory, breaks them, decides each fault with each source (and the configured provider(s)),
and prints the figures. Only the configuration's `llm:` section is used; its checks, rules and
actions are never run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cmd = sub.add_parser(
        "eval", parents=[common], help="decide scripted faults on services it starts; print right-first"
    )
    add_arguments(cmd)
    cmd.set_defaults(handler=cmd_eval)


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    cmd.add_argument(
        "--sources",
        default="",
        help="comma-separated: rule, knowledge, llm, llm:PROVIDER, pipeline (default: all)",
    )
    cmd.add_argument("--repeats", type=int, default=3, help="runs per scenario and source (default 3)")
    cmd.add_argument("--seed-runs", type=int, default=3, help="runs that seed the knowledge source's base")
    cmd.add_argument("--episodes", type=int, default=6, help="episodes of the held-out alternating scenario")
    cmd.add_argument("--deadline", type=float, default=40.0, help="seconds a rule-source run may take")
    cmd.add_argument("--prompts", type=Path, default=None, help="prompt templates to try (default: shipped)")
    cmd.add_argument("--json", action="store_true", help="print the report as JSON (progress to stderr)")
    cmd.add_argument("--out", type=Path, default=None, help="also write the JSON report to this file")


def cmd_eval(args: argparse.Namespace) -> int:
    from mapekd.evaluation.sources import check_sources, default_sources, operator_llm
    from mapekd.evaluation.suite import Options, evaluate
    from mapekd.evaluation.text import line, table

    if min(args.repeats, args.episodes) < 1 or args.seed_runs < 0:
        print("mapekd: --repeats and --episodes must be at least 1, --seed-runs at least 0", file=sys.stderr)
        return 2
    llm = operator_llm(args.config, args.env)
    sources = names(args.sources) or default_sources(llm)
    check_sources(sources, llm)
    options = Options(
        names(args.scenarios), sources, llm, args.repeats, args.seed_runs, args.episodes,
        args.deadline, args.prompts, args.base_env,
    )  # fmt: skip
    progress = sys.stderr if args.json else sys.stdout

    def show(result: dict[str, Any]) -> None:
        print(line(result), file=progress, flush=True)

    daemon_log = logging.getLogger("mapekd")
    level = daemon_log.level
    daemon_log.setLevel(logging.CRITICAL)  # the runs' own loops would drown the figures
    try:
        report = asyncio.run(evaluate(options, show))
    finally:  # called in-process (tests, embedding), the caller's logging is left as it was
        daemon_log.setLevel(level)
    text = json.dumps(report, indent=1)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        print(f"\n{table(report['summary'])}\n\n{len(report['runs'])} runs in {report['wall_s']:.0f}s")
    return 0


def names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]
