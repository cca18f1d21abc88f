"""What the knowledge base remembers for a prompt: similar past incidents with what was done and
how it went, recent actions on a target, the runbooks that fit. Read-only."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from mapekd.knowledge.queries import Queries, mapped

ACTIONS_PER_INCIDENT = 4
"""The latest executions shown per past incident: a crash loop would otherwise fill the prompt."""
MAX_TERMS = 24
"""Words of a summary searched for: bounds the full-text query whatever the summary holds."""

_EXECUTIONS = (
    "SELECT e.id, e.incident_id, e.action, e.kind, e.state, e.started_at, e.duration_ms, d.source, "
    "(SELECT o.result FROM outcomes o WHERE o.execution_id = e.id ORDER BY o.ts DESC LIMIT 1) AS result "
    "FROM executions e JOIN decisions d ON d.id = e.decision_id "
)
_NEWEST = "opened_at DESC, id DESC"
TEXT_WINDOW = 5000
"""How many of the latest incidents text recall searches. bm25 ranks every row that matches,
and templated summaries share words ("false", "http"), so an unbounded search grows with the
base. Measured on 40,000 incidents of three templates: 180 ms through sqlite-utils'
`table.search` (its SQL joins every match to the table before ranking, and no window reaches
the FTS5 scan), 6.5 ms for the whole recall with this query, which hands FTS5 the rowid bound
(43 ms at 300,000). Runbooks, a small table, are searched through `table.search`."""
_TEXT_MATCHES = (
    "SELECT i.*, incidents_fts.rank AS rank FROM incidents_fts "
    "JOIN incidents i ON i.id = incidents_fts.rowid "
    "WHERE incidents_fts MATCH :query "
    "AND incidents_fts.rowid > (SELECT COALESCE(MAX(id), 0) FROM incidents) - :window "
    "AND i.signature != :signature AND i.id != :skip "
    "ORDER BY incidents_fts.rank, incidents_fts.rowid DESC LIMIT :limit"
)


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of `text`, each quoted: whatever a summary holds (quotes,
    `NEAR`, `*`, `-`) is searched for as text, never read as query syntax. bm25 ranks the rows
    sharing more, and rarer, words first."""
    words = dict.fromkeys(w.lower() for w in re.findall(r"\w+", text) if len(w) > 1)
    return " OR ".join(f'"{w}"' for w in list(words)[:MAX_TERMS])


def similar_incidents(
    q: Queries,
    signature: str,
    rule: str,
    limit: int = 3,
    *,
    exclude: int | None = None,
    summary: str | None = None,
) -> list[dict[str, Any]]:
    """Past incidents, best first: of this signature (newest first), then those among the latest
    TEXT_WINDOW whose summary and signature share words with `summary` (by bm25), then of the
    same rule on other targets (newest first); each with `actions`: its latest executions
    (action, kind, state, source, result). `summary` defaults to that of the incident
    `exclude` (the one being handled)."""
    skip = -1 if exclude is None else exclude
    rows = q._where(
        "incidents", "signature = ? AND id != ?", (signature, skip), order_by=_NEWEST, limit=limit
    )
    if summary is None and exclude is not None:
        summary = (q.incident(exclude) or {}).get("summary", "")
    if len(rows) < limit and summary:
        rows += text_matches(q, summary, signature, skip, limit - len(rows))
    if len(rows) < limit:
        seen = json.dumps([skip, *(row["id"] for row in rows)])
        rows += q._where(
            "incidents",
            "rule = ? AND signature != ? AND id NOT IN (SELECT value FROM json_each(?))",
            (rule, signature, seen),
            order_by=_NEWEST,
            limit=limit - len(rows),
        )
    return _with_actions(q, rows)


def text_matches(q: Queries, summary: str, signature: str, skip: int, limit: int) -> list[dict[str, Any]]:
    """Incidents of other signatures among the latest TEXT_WINDOW whose summary or signature
    match `summary` in full text, best bm25 rank first, the newest first among equals."""
    query = fts_query(summary)
    if not query:
        return []
    params = {"query": query, "window": TEXT_WINDOW, "signature": signature, "skip": skip, "limit": limit}
    rows = q._rows(_TEXT_MATCHES, params)
    for row in rows:
        del row["rank"]
    return rows


EVIDENCE_WINDOW = 20_000
"""How many of the latest evidence lines recall by evidence searches: bm25 ranks every matching
row, and log lines share words. Measured with 100,000 lines of eight kinds (two shared cores):
ranking every match of a six-word query took 48 ms, within this window 18 ms; the whole recall
31 ms. It serves prompts, never the knowledge path."""
_EVIDENCE_MATCHES = (
    "SELECT e.incident_id, e.text, evidence_fts.rank AS rank FROM evidence_fts "
    "JOIN evidence e ON e.id = evidence_fts.rowid "
    "WHERE evidence_fts MATCH :query "
    "AND evidence_fts.rowid > (SELECT COALESCE(MAX(id), 0) FROM evidence) - :window "
    "AND e.incident_id != :skip ORDER BY evidence_fts.rank, evidence_fts.rowid DESC LIMIT :scan"
)
_FOUND = (
    "SELECT i.id, i.signature, i.fingerprint, e.action, "
    "(SELECT o.result FROM outcomes o WHERE o.execution_id = e.id ORDER BY o.ts DESC LIMIT 1) AS result "
    "FROM incidents i LEFT JOIN executions e ON e.incident_id = i.id AND e.kind = 'remedy' "
    "WHERE i.id IN (SELECT value FROM json_each(?)) ORDER BY e.started_at, e.id"
)
_MASKS = re.compile(r"<\w+>")


def similar_by_evidence(
    q: Queries, lines: Sequence[str], *, exclude: int | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    """Past incidents whose evidence reads like `lines` (an incident's cause templates or its
    evidence), best bm25 match first: [{incident, signature, fingerprint, action, resolved,
    matched}], where `action` is the remedy that resolved it (else the last one tried, with
    `resolved` False; None when nothing ran) and `matched` its evidence line that matched best."""
    query = fts_query(_MASKS.sub(" ", " ".join(lines)))
    if not query:
        return []
    skip = -1 if exclude is None else exclude
    params = {"query": query, "window": EVIDENCE_WINDOW, "skip": skip, "scan": limit * 20}
    best: dict[int, str] = {}
    for row in q._rows(_EVIDENCE_MATCHES, params):
        if len(best) < limit:
            best.setdefault(int(row["incident_id"]), row["text"])
    found: dict[int, dict[str, Any]] = {
        incident: {"incident": incident, "matched": matched, "action": None, "resolved": False}
        for incident, matched in best.items()
    }
    for row in q._rows(_FOUND, (json.dumps(list(best)),)):
        entry = found[row["id"]]
        entry |= {"signature": row["signature"], "fingerprint": row["fingerprint"]}
        if row["action"] is not None and not entry["resolved"]:
            entry["action"], entry["resolved"] = row["action"], row["result"] == "resolved"
    keys = ("incident", "signature", "fingerprint", "action", "resolved", "matched")
    return [{key: entry.get(key) for key in keys} for entry in found.values()]


def _with_actions(q: Queries, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
    q: Queries, rule: str, check: str, signature: str, limit: int = 2, *, summary: str = ""
) -> list[dict[str, Any]]:
    """Runbooks that fit, best first: more exact (non-glob) matches first, then the closer to
    `summary` in full text (bm25), then an operator's runbook before a seeded one, then by name."""
    rows = q._where(
        "runbooks", None, select="name, title, signature, rules, checks, signatures, body, source"
    )
    scored = [(fit_score(row, rule=rule, check=check, signature=signature), row) for row in rows]
    rank = text_ranks(q, summary) if summary else {}
    fitting = sorted(
        ((score, row) for score, row in scored if score > 0),
        key=lambda pair: (
            -pair[0],
            rank.get(pair[1]["name"], math.inf),
            pair[1]["source"] == "seed",
            pair[1]["name"],
        ),
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


def text_ranks(q: Queries, summary: str, limit: int = 200) -> dict[str, float]:
    """Runbook name -> bm25 rank of its title and body against `summary` (lower is closer)."""
    query = fts_query(summary)
    if not query:
        return {}
    with mapped("cannot search runbooks"):
        found = q.db.table("runbooks").search(query, columns=["name"], limit=limit, include_rank=True)
        return {row["name"]: float(row["rank"]) for row in found}


class Recall(Queries):
    """Recall as methods of the store (the Store seam names them)."""

    def similar_incidents(
        self,
        signature: str,
        rule: str,
        limit: int = 3,
        *,
        exclude: int | None = None,
        summary: str | None = None,
    ) -> list[dict[str, Any]]:
        return similar_incidents(self, signature, rule, limit, exclude=exclude, summary=summary)

    def recent_actions(self, target: str, limit: int = 5) -> list[dict[str, Any]]:
        return recent_actions(self, target, limit)

    def similar_by_evidence(
        self, lines: Sequence[str], *, exclude: int | None = None, limit: int = 3
    ) -> list[dict[str, Any]]:
        return similar_by_evidence(self, lines, exclude=exclude, limit=limit)

    def matching_runbooks(
        self, rule: str, check: str, signature: str, limit: int = 2, *, summary: str = ""
    ) -> list[dict[str, Any]]:
        return matching_runbooks(self, rule, check, signature, limit, summary=summary)


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
