"""`mapekd kb show ID`: one incident's timeline — symptom, analysis, proposal, decision, approval,
execution, outcome — with the LLM's proposal beside the final choice, and the action counter."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.table import Table
from rich.text import Text

from mapekd.cli.kbopen import open_reports, settings_of
from mapekd.cli.render import HEADER, cell, console, emit, print_line
from mapekd.cli.styles import STYLES
from mapekd.errors import MapekdError
from mapekd.knowledge.reports import Reports
from mapekd.plan.policy import Policy
from mapekd.report.fmt import fmt_ts


def register(
    kb_sub: argparse._SubParsersAction[argparse.ArgumentParser], reader: argparse.ArgumentParser
) -> None:
    show = kb_sub.add_parser("show", parents=[reader], help="one incident's timeline and its action counter")
    show.add_argument("id", type=int, help="incident id")
    show.set_defaults(handler=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    policy_config = settings_of(args).policy
    with open_reports(args, Reports) as reports:
        incident = reports.incident(args.id)
        if incident is None:
            raise MapekdError(f"no incident {args.id}")
        report: dict[str, Any] = {
            **incident,
            "timeline": reports.timeline(args.id),
            "policy_counter": Policy(policy_config, reports)
            .counter(incident["target"], time.time())
            .as_dict(),
        }
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_show(report)
    return 0


def print_show(report: dict[str, Any]) -> None:
    print_line(
        (f"incident {report['id']}  ", "bold"),
        (report["status"], STYLES["status"](report["status"])),
        f"  {report['signature']}  ",
        (report["severity"], STYLES["severity"](report["severity"])),
    )
    print_line(
        f"  opened {fmt_ts(report['opened_at'])}  resolved {fmt_ts(report['resolved_at'])}"
        f"  gave up {fmt_ts(report['gave_up_at'])}"
    )
    c = report["policy_counter"]
    print_line(
        f"  actions on {report['target']} in the last {c['window_s']:g}s: "
        f"{c['used']}/{c['limit']} (oldest stops counting at {fmt_ts(c['oldest_expires_at'])})"
    )
    con = console()
    grid = Table(box=None, show_header=con.is_terminal, header_style=HEADER, pad_edge=False)
    tty = con.is_terminal
    grid.add_column("TIME", no_wrap=True)
    grid.add_column("STEP", no_wrap=True)
    grid.add_column("WHAT", overflow="fold", no_wrap=not tty, ratio=2 if tty else None)
    grid.add_column("DETAIL", overflow="fold", no_wrap=not tty, ratio=3 if tty else None)
    for event in report["timeline"]:
        what, detail = describe(event)
        grid.add_row(fmt_ts(event["ts"]), Text(event["kind"], style="bold"), what, Text(detail))
    emit(grid)


def describe(event: dict[str, Any]) -> tuple[Text, str]:
    """A styled headline and a plain detail line for one timeline event."""
    return _DESCRIBE[event["kind"]](event)


def _styled(*parts: tuple[str, str] | str) -> Text:
    text = Text()
    for part in parts:
        value, style = (part, "") if isinstance(part, str) else part
        text.append(value, style=style)
    return text


def _symptom(e: dict[str, Any]) -> tuple[Text, str]:
    return _styled((e["severity"], STYLES["severity"](e["severity"])), f" {e['message']}"), _compact(
        e["fields"]
    )


def _analysis(e: dict[str, Any]) -> tuple[Text, str]:
    head = _styled((e["state"], STYLES["state"](e["state"])), f" {e['summary'] or e['error'] or ''}")
    return (
        head,
        f"suspected cause: {e['suspected_cause'] or '-'}; "
        f"confidence {cell('c', e['confidence'])}; {_model(e)}",
    )


def _decision(e: dict[str, Any]) -> tuple[Text, str]:
    head = _styled(
        (e["verdict"], STYLES["verdict"](e["verdict"])),
        f" {e['action'] or '-'}",
        (f" by {e['source']}", "dim"),
        f" (confidence {cell('c', e['confidence'])}, risk {e['risk'] or '-'})",
    )
    parts = [f"reason: {e['reason']}", f"candidates: {', '.join(e['candidates']) or '-'}"]
    proposal = e.get("proposal")
    if isinstance(proposal, dict):
        parts.insert(
            0,
            f"LLM proposed {proposal.get('action')} (confidence {cell('c', proposal.get('confidence'))}, "
            f"risk {proposal.get('risk')}): {proposal.get('rationale', '')} "
            f"-> final: {e['action'] or e['verdict']}",
        )
    elif e.get("proposal_raw"):
        parts.insert(0, f"LLM answer not usable: {str(e['proposal_raw'])[:200]}")
    if e.get("override_reason"):
        parts.insert(1, f"overridden: {e['override_reason']}")
    if e.get("model"):
        parts.append(_model(e))
    return head, "; ".join(parts)


def _approval(e: dict[str, Any]) -> tuple[Text, str]:
    who = (
        f"by {e['decided_by']} at {fmt_ts(e['decided_at'])}"
        if e["decided_by"]
        else f"expires {fmt_ts(e['expires_at'])}"
    )
    return _styled(
        (e["state"], STYLES["state"](e["state"])), f" {e['action']}"
    ), f"{who}; {e['reason']}".rstrip("; ")


def _execution(e: dict[str, Any]) -> tuple[Text, str]:
    head = _styled(
        (e["state"], STYLES["state"](e["state"])), f" {e['action']}", (f" ({e['purpose']})", "dim")
    )
    detail = f"exit {cell('c', e['exit_code'])}, {cell('c', e['duration_ms'])} ms, attempts {e['attempts']}"
    if e["error"]:
        detail += f"; error: {e['error']}"
    if e["output_tail"]:
        detail += f"; output: {e['output_tail'].strip()[-200:]}"
    return head, detail


def _outcome(e: dict[str, Any]) -> tuple[Text, str]:
    return _styled((e["result"], STYLES["result"](e["result"]))), e["detail"]


def _model(e: dict[str, Any]) -> str:
    template = f"{e['prompt_template']}@{e['prompt_version']}" if e.get("prompt_template") else "-"
    return f"model {e.get('model') or '-'}, prompt {template}, {cell('c', e.get('latency_ms'))} ms"


def _compact(value: Any) -> str:
    return json.dumps(value, default=str, separators=(", ", ": ")) if value else ""


_DESCRIBE = {
    "symptom": _symptom,
    "analysis": _analysis,
    "decision": _decision,
    "approval": _approval,
    "execution": _execution,
    "outcome": _outcome,
}
