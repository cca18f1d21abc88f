"""One line per timeline event for people: a styled headline and a plain detail."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from mapekd.cli.render import cell
from mapekd.cli.styles import STYLES
from mapekd.report.fmt import fmt_ts


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
    # An analysis citing what the evidence does not hold is a claim, never shown as fact.
    unverified = e.get("grounded") == 0
    head = _styled(
        (e["state"], STYLES["state"](e["state"])),
        ("ungrounded, not verified: ", "bold yellow") if unverified else "",
        f" {e['summary'] or e['error'] or ''}",
    )
    parts = [f"suspected cause: {e['suspected_cause'] or '-'}", f"confidence {cell('c', e['confidence'])}"]
    if unverified:
        parts.append(f"not in the evidence: {', '.join(map(str, e.get('unsupported') or [])) or '-'}")
    if e.get("reused_from"):
        parts.append(f"reused analysis {e['reused_from']} (same cause)")
    return head, "; ".join([*parts, _model(e)])


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
