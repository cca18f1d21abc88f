"""`mapekd approve ID`, `mapekd deny ID`, `mapekd explain ID`: people in the loop.

Approvals go through the knowledge base; the running daemon picks them up within a second."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from typing import Any

from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings
from mapekd.errors import MapekdError
from mapekd.knowledge.store import SqliteStore


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    shared.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    for name, approve in (("approve", True), ("deny", False)):
        cmd = sub.add_parser(name, parents=[shared], help=f"{name} a decision waiting for approval")
        cmd.add_argument("id", type=int, help="the approval's id (see `mapekd approvals`)")
        cmd.add_argument("--by", default=None, help="who decides (default: the current user)")
        cmd.set_defaults(handler=cmd_decide, approve=approve)
    pending = sub.add_parser("approvals", parents=[shared], help="decisions waiting for approval")
    pending.add_argument("--json", action="store_true", help="machine-readable output")
    pending.set_defaults(handler=cmd_approvals)
    explain = sub.add_parser("explain", parents=[shared], help="a plain-language account of an incident")
    explain.add_argument("id", type=int, help="incident id")
    explain.add_argument("--no-llm", action="store_true", help="render the record as text, without an LLM")
    explain.set_defaults(handler=cmd_explain)


def _open(args: argparse.Namespace) -> tuple[Settings, SqliteStore]:
    settings = load_settings(args.config, args.env)
    return settings, SqliteStore(args.db or settings.knowledge.path)


def cmd_decide(args: argparse.Namespace) -> int:
    _, store = _open(args)
    try:
        state = store.decide_approval(args.id, args.approve, args.by or getpass.getuser())
    finally:
        store.close()
    print(f"approval {args.id}: {state}" + (" (the daemon runs it within a second)" if args.approve else ""))
    return 0


def cmd_approvals(args: argparse.Namespace) -> int:
    from mapekd.cli.render import print_table

    _, store = _open(args)
    rows = store.pending_approvals()
    store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        rows,
        [
            ("id", "ID"),
            ("incident_id", "INCIDENT"),
            ("signature", "SIGNATURE"),
            ("action", "ACTION"),
            ("source", "SOURCE"),
            ("expires_at", "EXPIRES"),
            ("reason", "REASON"),
        ],
    )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from mapekd.prompting import Prompts, explain_context, explain_text, recorded_analysis

    settings, store = _open(args)
    try:
        incident = store.incident(args.id)
        if incident is None:
            raise MapekdError(f"no incident {args.id}")
        timeline = store.timeline(args.id)
    finally:
        store.close()
    analysis = recorded_analysis(timeline)
    decisions = [e for e in timeline if e["kind"] == "decision"]
    if not args.no_llm:
        context = explain_context(incident, timeline, analysis, decisions)
        text = asyncio.run(_llm_explain(settings, args.id, context))
        if text:
            print(text)
            return 0
    print(explain_text(Prompts(), incident, timeline, analysis, decisions))
    return 0


async def _llm_explain(settings: Settings, incident_id: int, context: dict[str, Any]) -> str | None:
    """The LLM's account, or None (no LLM, or it failed: the caller renders the record instead).
    Asked through the daemon's one call path: fitted, redacted, recorded like any call."""
    from mapekd.llm.gateway import build_gateway
    from mapekd.plan.llm_call import LLMCaller
    from mapekd.prompting import Prompts
    from mapekd.reasoning import context_tokens, redactor_for, usable

    if not usable(settings):
        return None
    gateway = build_gateway(settings.llm)
    try:
        caller = LLMCaller(
            gateway, Prompts(), redactor_for(settings), context_tokens=context_tokens(settings)
        )
        asked = await caller.ask(
            "explain.j2",
            context,
            None,
            str.strip,
            role="explain",
            incident_id=incident_id,
            deadline=settings.llm.plan_deadline,
        )
        return asked.parsed or None
    finally:
        await gateway.close()
