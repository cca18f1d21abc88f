"""What the knowledge base remembers for a prompt: similar past incidents with what was done and
how it went, recent actions on a target, the runbooks that fit. Read-only."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from mapekd.knowledge.queries import Queries

ACTIONS_PER_INCIDENT = 4
"""The latest executions shown per past incident: a crash loop would otherwise fill the prompt."""

_EXECUTIONS = (
    "SELECT e.id, e.incident_id, e.action, e.kind, e.state, e.started_at, e.duration_ms, d.source, "
    "(SELECT o.result FROM outcomes o WHERE o.execution_id = e.id ORDER BY o.ts DESC LIMIT 1) AS result "
    "FROM executions e JOIN decisions d ON d.id = e.decision_id "
)


def similar_incidents(
    q: Queries, signature: str, rule: str, limit: int = 3, *, exclude: int | None = None
) -> list[dict[str, Any]]:
    """Past incidents of this signature, newest first, then of the same rule on other targets;
    each with `actions`: its latest executions (action, kind, state, source, result)."""
    skip = -1 if exclude is None else exclude
    rows = q._rows(
        "SELECT * FROM incidents WHERE signature = ? AND id != ? ORDER BY opened_at DESC, id DESC LIMIT ?",
        (signature, skip, limit),
    )
    if len(rows) < limit:
        rows += q._rows(
            "SELECT * FROM incidents WHERE rule = ? AND signature != ? AND id != ? "
            "ORDER BY opened_at DESC, id DESC LIMIT ?",
            (rule, signature, skip, limit - len(rows)),
        )
    if not rows:
        return rows
    ids = [row["id"] for row in rows]
    marks = ", ".join("?" * len(ids))
    executions = q._rows(
        _EXECUTIONS + f"WHERE e.incident_id IN ({marks}) ORDER BY e.started_at, e.id",
        tuple(ids),
    )
    for row in rows:
        mine = [e for e in executions if e["incident_id"] == row["id"]]
        row["actions"] = mine[-ACTIONS_PER_INCIDENT:]
    return rows


def recent_actions(q: Queries, target: str, limit: int = 5) -> list[dict[str, Any]]:
    """The latest remedies on this target, newest first, with who decided them and the outcome
    (notifications are not actions on the target)."""
    return q._rows(
        _EXECUTIONS
        + "WHERE e.target = ? AND e.kind = 'remedy' ORDER BY e.started_at DESC, e.id DESC LIMIT ?",
        (target, limit),
    )


def matching_runbooks(
    q: Queries, rule: str, check: str, signature: str, limit: int = 2
) -> list[dict[str, Any]]:
    """Runbooks that fit, best first: more exact (non-glob) matches first, an operator's runbook
    before a seeded one, then by name."""
    rows = q._rows("SELECT name, title, signature, rules, checks, signatures, body, source FROM runbooks")
    scored = [(fit_score(row, rule=rule, check=check, signature=signature), row) for row in rows]
    fitting = sorted(
        ((score, row) for score, row in scored if score > 0),
        key=lambda pair: (-pair[0], pair[1]["source"] == "seed", pair[1]["name"]),
    )
    return [
        {
            "name": row["name"],
            "title": row["title"] or row["name"],
            "body": row["body"],
            "source": row["source"],
        }
        for _, row in fitting[:limit]
    ]


def fit_score(row: dict[str, Any], *, rule: str, check: str, signature: str) -> int:
    """0 when the runbook does not fit; else 2 per exact match and 1 per glob match."""
    signatures = json.loads(row["signatures"] or "[]") + ([row["signature"]] if row.get("signature") else [])
    lists = (
        (json.loads(row["rules"] or "[]"), rule),
        (json.loads(row["checks"] or "[]"), check),
        (signatures, signature),
    )
    score = 0
    for patterns, value in lists:
        if not patterns:
            continue
        if value in patterns:
            score += 2
        elif any(fnmatchcase(value, p) for p in patterns):
            score += 1
        else:
            return 0
    return score
