"""`mapekd kb llm`: LLM calls, tokens, cost, cache hit rate and latency per provider and model,
and calibration: the confidence the LLM stated for its decisions against their real success."""

from __future__ import annotations

import argparse
from typing import Any

from mapekd.cli.kbopen import add_since, emit_json, open_reports, since_of
from mapekd.cli.render import print_line, print_table
from mapekd.knowledge.llm_reports import LLMReports


def register(
    kb_sub: argparse._SubParsersAction[argparse.ArgumentParser], reader: argparse.ArgumentParser
) -> None:
    llm = kb_sub.add_parser(
        "llm", parents=[reader], help="LLM calls, tokens, cost, cache, latency, calibration"
    )
    add_since(llm, "7d")
    llm.add_argument(
        "--bins", type=int, default=5, choices=range(2, 21), metavar="N", help="calibration bins (2-20)"
    )
    llm.set_defaults(handler=cmd_llm)


def cmd_llm(args: argparse.Namespace) -> int:
    since = since_of(args)
    with open_reports(args, LLMReports) as reports:
        usage = reports.usage(since)
        calibration = reports.calibration(since, args.bins)
    totals = _totals(usage)
    if args.json:
        emit_json({"usage": usage, "totals": totals, "calibration": calibration})
        return 0
    print_table(
        usage,
        [
            ("provider", "PROVIDER"),
            ("model", "MODEL"),
            ("calls", "CALLS"),
            ("errors", "ERRORS"),
            ("cache_hit_rate", "CACHE_HITS"),
            ("input_tokens", "IN_TOK"),
            ("output_tokens", "OUT_TOK"),
            ("cost", "COST"),
            ("avg_latency_ms", "AVG_MS"),
            ("p50_latency_ms", "P50_MS"),
            ("p95_latency_ms", "P95_MS"),
        ],
        title="LLM calls",
    )
    if usage:
        print_line(
            f"total: {totals['calls']} calls, {totals['input_tokens']}+{totals['output_tokens']} tokens, "
            f"cost {totals['cost']:g}, cache hit rate {totals['cache_hit_rate']:.0%}"
        )
    print_table(
        [{**b, "range": f"{b['low']:.2f}-{b['high']:.2f}"} for b in calibration["bins"]],
        [
            ("range", "CONFIDENCE"),
            ("decisions", "DECISIONS"),
            ("stated", "STATED"),
            ("succeeded", "SUCCEEDED"),
            ("success_rate", "ACTUAL"),
        ],
        title="calibration of LLM decisions (stated confidence vs verified success)",
    )
    if calibration["decisions"]:
        print_line(
            f"{calibration['decisions']} decisions; "
            f"Brier score {calibration['brier']}, ECE {calibration['ece']}"
        )
    else:
        print_line(("no LLM decision with a verified outcome yet", "dim"))
    return 0


def _totals(usage: list[dict[str, Any]]) -> dict[str, Any]:
    calls = sum(r["calls"] for r in usage)
    cached = sum(r["cached"] for r in usage)
    return {
        "calls": calls,
        "errors": sum(r["errors"] for r in usage),
        "cached": cached,
        "cache_hit_rate": round(cached / calls, 3) if calls else 0.0,
        "input_tokens": sum(r["input_tokens"] for r in usage),
        "output_tokens": sum(r["output_tokens"] for r in usage),
        "cost": round(sum(r["cost"] for r in usage), 6),
    }
