"""Compact views of samples, past incidents, actions and timelines for the prompt contexts.

Times are seconds relative to the incident's start (`t`, negative before it) or days ago: short
numbers a small model reads well, and the same prompt for the same situation (cacheable)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from mapekd.model import Sample
from mapekd.prompting.data import ago, clip, compact, number, present
from mapekd.prompting.structured import Analysis


def sample_table(samples: Sequence[Sample], opened_at: float) -> dict[str, Any]:
    """Samples as a table, oldest first: `columns` once, then one row per sample (a key per value
    would double the tokens). Fields that are None in every sample are left out."""
    rows = [{"t": round(s.ts - opened_at), **present(s.fields)} for s in samples]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return {"columns": columns, "rows": [[row.get(c) for c in columns] for row in rows]}


def past_incident(row: Mapping[str, Any], now: float) -> dict[str, Any]:
    """A similar incident from `recall.similar_incidents`, with what was done and how it went."""
    ended = row.get("resolved_at") or row.get("gave_up_at")
    view = {
        "id": row["id"],
        "signature": row["signature"],
        "status": row["status"],
        "ago": ago(now - float(row["opened_at"])),
        "lasted_s": round(float(ended) - float(row["opened_at"])) if ended else None,
        "summary": clip(str(row.get("summary") or ""), 120),
        "actions": [action_view(a) for a in row.get("actions", ())],
    }
    return {k: v for k, v in view.items() if v is not None}


def alike_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A past incident whose evidence reads like this one's (`recall.similar_by_evidence`): the
    line that matched best and the remedy that fixed it (or the last one tried)."""
    view = {
        "incident": row["incident"],
        "signature": row.get("signature"),
        "matched": clip(str(row.get("matched") or ""), 200),
        "fixed_by" if row.get("resolved") else "tried": row.get("action"),
    }
    return {k: v for k, v in view.items() if v is not None}


def action_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One execution: its action, who decided it, and its result (the outcome when one was
    recorded, else the execution's own state, e.g. failed or would_execute)."""
    view: dict[str, Any] = {
        "action": row["action"],
        "source": row.get("source"),
        "result": row.get("result") or row.get("state"),
    }
    if row.get("kind") == "notify":
        view["kind"] = "notify"
    return {k: v for k, v in view.items() if v is not None}


def recent_action(row: Mapping[str, Any], now: float, incident_id: int) -> dict[str, Any]:
    """An action on the target: how long ago, and whether it was for this very incident."""
    view = {**action_view(row), "ago": ago(now - float(row["started_at"]))}
    if row.get("incident_id") == incident_id:
        view["this_incident"] = True
    return view


_EVENT_KEYS = {
    "symptom": ("severity", "message"),
    "decision": ("verdict", "action", "source", "confidence", "reason", "dry_run"),
    "execution": ("action", "purpose", "state", "exit_code", "duration_ms", "error"),
    "outcome": ("result", "detail"),
    "analysis": ("state",),
    "approval": ("state", "action"),
}


def timeline_view(events: Sequence[Mapping[str, Any]], opened_at: float) -> list[dict[str, Any]]:
    """A timeline from `Queries.timeline`, a run of identical symptoms folded into one line."""
    lines: list[dict[str, Any]] = []
    for event in events:
        keys = _EVENT_KEYS.get(str(event["kind"]), ())
        line = {"t": number(float(event["ts"]) - opened_at), "kind": event["kind"]}
        line.update(present({k: event.get(k) for k in keys if k != "dry_run" or event.get(k)}, 200))
        previous = lines[-1] if lines else None
        if previous and previous["kind"] == "symptom" == line["kind"] and _same(previous, line):
            previous["repeats"] = previous.get("repeats", 1) + 1
            continue
        lines.append(line)
    return lines


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("message") == b.get("message") and a.get("severity") == b.get("severity")


def analysis_view(analysis: Analysis | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An analysis (a parsed one, or as recorded: its fields) for a prompt or an account."""
    if analysis is None:
        return None
    fields = analysis if isinstance(analysis, Mapping) else analysis.model_dump()
    return compact(dict(fields), 400)  # type: ignore[no-any-return]


def utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
