"""`mapekd llm status | chat "..." | smoke`: thin calls into the gateway.

mapekd llm status [--json]                        providers, breakers, limits, cache, budget
mapekd llm chat "why is nginx down?" [--provider P] [--stream] [--role R]
mapekd llm smoke [--provider P] [--report out.json]   per provider: reachable, chat,
                                                  JSON-schema answer, embedding

Each seeds the daily budget with today's spend from the knowledge base (--db, default
knowledge.path of the config) when that file exists; none is created just to read it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from mapekd.cli.render import print_table
from mapekd.config.loader import load_settings
from mapekd.errors import StoreError
from mapekd.llm.budget import start_of_utc_day
from mapekd.llm.config import LLMSettings
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.gateway.smoke import run_smoke
from mapekd.llm.types import CallRecord, ChatRequest, Message

EXIT_OK = 0
EXIT_FAILED = 1


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser | None = None,
) -> None:
    shared = argparse.ArgumentParser(add_help=False, parents=[common] if common is not None else [])
    shared.add_argument("--db", help="knowledge base to seed today's spend from (default: knowledge.path)")
    parents = [shared]
    llm = sub.add_parser("llm", help="the LLM gateway: status, a chat, a smoke test")
    llm_sub = llm.add_subparsers(dest="llm_command", required=True, metavar="LLM_COMMAND")
    status = llm_sub.add_parser("status", parents=parents, help="providers, breakers, limits")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_status)
    chat = llm_sub.add_parser("chat", parents=parents, help="ask one question")
    chat.add_argument("prompt")
    chat.add_argument("--provider", help="this provider only (no fallback)")
    chat.add_argument("--role", help="route as this role (analyze, plan, explain...)")
    chat.add_argument("--max-tokens", type=int, default=512)
    chat.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    chat.set_defaults(handler=cmd_chat)
    smoke = llm_sub.add_parser("smoke", parents=parents, help="check every provider end to end")
    smoke.add_argument("--provider", help="this provider only")
    smoke.add_argument("--report", metavar="FILE", help="write the JSON report here")
    smoke.set_defaults(handler=cmd_smoke)


def load_llm_settings(args: argparse.Namespace) -> tuple[LLMSettings, str | None]:
    """The `llm:` section and the knowledge base to seed from: `args.llm_settings` if a caller
    set it (tests; then only --db names a knowledge base), else --config."""
    db: str | None = getattr(args, "db", None)
    given = getattr(args, "llm_settings", None)
    if isinstance(given, LLMSettings):
        return given, db
    settings = load_settings(args.config, getattr(args, "env", None))
    return settings.llm, db or str(settings.knowledge.path)


def spent_today(db: str | None, now: float) -> float:
    """Today's LLM spend recorded in the knowledge base `db`; 0 when there is none to read."""
    if db is None or not Path(db).is_file():
        return 0.0
    from mapekd.knowledge.store import SqliteStore  # only the commands that seed need SQLite

    try:
        store = SqliteStore(db)
        try:
            return store.llm_spent_since(start_of_utc_day(now))
        finally:
            store.close()
    except StoreError as exc:
        print(f"mapekd: today's LLM spend is unknown ({exc}); the daily budget starts at 0", file=sys.stderr)
        return 0.0


def _gateway(args: argparse.Namespace, records: list[CallRecord] | None = None) -> Gateway:
    options: dict[str, Any] = dict(getattr(args, "gateway_options", {}) or {})
    settings, db = load_llm_settings(args)
    return build_gateway(
        settings,
        sink=records.append if records is not None else None,
        spent_today=spent_today(db, time.time()),
        **options,
    )


def cmd_status(args: argparse.Namespace) -> int:
    gateway = _gateway(args)
    report = gateway.status()
    asyncio.run(gateway.close())
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return EXIT_OK
    print_status(report, sys.stdout)
    return EXIT_OK


def print_status(report: dict[str, Any], out: TextIO) -> None:
    print(f"mode {report['mode']}, routing {report['strategy']}", file=out)
    rows = []
    for p in report["providers"]:
        limits = p["limits"] or {}
        rows.append(
            {
                "name": p["name"],
                "type": p["type"],
                "model": p["model"] or "-",
                "offline": "yes" if p["offline"] else "no",
                "breaker": p["breaker"]["state"],
                "failures": p["breaker"]["consecutive_failures"],
                "keys": len(p["keys"]),
                "rpm": _limit(limits.get("rpm")),
                "tpm": _limit(limits.get("tpm")),
            }
        )
    print_table(
        rows,
        [
            ("name", "NAME"),
            ("type", "TYPE"),
            ("model", "MODEL"),
            ("offline", "OFFLINE"),
            ("breaker", "BREAKER"),
            ("failures", "FAILS"),
            ("keys", "KEYS"),
            ("rpm", "RPM avail/limit"),
            ("tpm", "TPM avail/limit"),
        ],
    )
    exact, budget = report["cache"]["exact"], report["budget"]
    if exact.get("enabled", True):
        print(
            f"exact cache: {exact['entries']}/{exact['max_entries']} entries, "
            f"{exact['hits']} hits, {exact['misses']} misses",
            file=out,
        )
    semantic = report["cache"]["semantic"]
    print(f"semantic cache: {'on' if semantic.get('enabled') else 'off'}", file=out)
    print(
        f"budget: spent today {budget['daily_spent']} of {budget['daily_limit'] or 'unlimited'}"
        f", per task {budget['per_task_limit'] or 'unlimited'}",
        file=out,
    )
    for p in report["providers"]:
        if p.get("note"):
            print(f"{p['name']}: {p['note']}", file=out)
    if report["unpriced_models"]:
        print(
            "no price for: " + ", ".join(report["unpriced_models"]) + " (charged 0, so budgets do not "
            "limit them: add them under llm.prices)",
            file=out,
        )


def _limit(meter: dict[str, int] | None) -> str:
    return "-" if meter is None else f"{meter['available']}/{meter['limit']}"


def cmd_chat(args: argparse.Namespace) -> int:
    records: list[CallRecord] = []
    gateway = _gateway(args, records)
    request = ChatRequest(
        messages=(Message("user", args.prompt),), max_tokens=args.max_tokens, role=args.role
    )
    asyncio.run(_chat(gateway, request, args.provider, args.stream, sys.stdout))
    if records:
        r = records[-1]
        print(
            f"[{r.provider}/{r.model}, {r.usage.input_tokens}+{r.usage.output_tokens} tokens, "
            f"{r.latency_s:.2f}s, cost {r.cost:.6f}{', cached' if r.cached else ''}]",
            file=sys.stderr,
        )
    return EXIT_OK


async def _chat(
    gateway: Gateway, request: ChatRequest, provider: str | None, stream: bool, out: TextIO
) -> None:
    try:
        if stream:
            async for chunk in gateway.stream(request, provider=provider):
                out.write(chunk.delta)
                out.flush()
            out.write("\n")
        else:
            completion = await gateway.chat(request, provider=provider)
            print(completion.text, file=out)
    finally:
        await gateway.close()


def cmd_smoke(args: argparse.Namespace) -> int:
    gateway = _gateway(args)
    report = asyncio.run(run_smoke(gateway, args.provider))
    print_smoke(report, sys.stdout)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"report written to {args.report}")
    return EXIT_OK if report["ok"] else EXIT_FAILED


def print_smoke(report: dict[str, Any], out: TextIO) -> None:
    marks = {True: "ok", False: "FAIL", None: "skip"}
    for name, provider in report["providers"].items():
        state = {True: "ok", False: "FAILED", None: "skipped"}[provider["ok"]]
        print(f"{name}: {state}" + (f": {provider['note']}" if provider.get("note") else ""), file=out)
        if provider.get("hint"):
            print(f"  hint: {provider['hint']}", file=out)
        for check, result in provider["checks"].items():
            line = f"  {check:<10} {marks[result['ok']]:<5} {result['latency_ms']:>8.1f} ms  "
            print(line + result.get("detail", ""), file=out)
            if result.get("hint"):
                print(f"             hint: {result['hint']}", file=out)
    if not report["ok"]:
        summary = "some providers failed"
    elif report["tested"] == 0:
        summary = "nothing tested (no llm providers configured)"
    else:
        summary = "all providers ok"
    print("smoke: " + summary, file=out)
