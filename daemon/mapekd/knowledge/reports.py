"""Read-only reports over the knowledge base: incidents with filters, time to mitigate, success
rates, decision sources, the worst signatures. Shared by `mapekd kb`, `mapekd status` and the
HTML report; every query is bounded by a time (`since`) and served by an index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapekd.knowledge.queries import REAL_STATES, Queries

INCIDENT_STATES = ("open", "gave_up", "resolved")
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class IncidentFilter:
    since: float = 0.0
    state: str | None = None
    """open, gave_up or resolved."""
    signature: str | None = None
    """A glob (`*`, `?`, `[...]`), case-sensitive like the signature itself."""
    target: str | None = None
    limit: int = 200


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) of sorted values, interpolated between closest ranks."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Reports(Queries):
    def filtered_incidents(self, where: IncidentFilter) -> list[dict[str, Any]]:
        """Newest first; `actions` counts the remedies run (or dry-run) on each."""
        clauses: list[str] = ["i.opened_at >= ?"]
        params: list[Any] = [where.since]
        for column, value, op in (
            ("status", where.state, "="),
            ("signature", where.signature, "GLOB"),
            ("target", where.target, "GLOB"),
        ):
            if value is not None:
                clauses.append(f"i.{column} {op} ?")
                params.append(value)
        # Only the fixed clauses above are joined in; every value is a bound parameter.
        return self._rows(
            "SELECT i.id, i.status, i.signature, i.rule, i.target, i.severity, i.summary, i.opened_at, "  # noqa: S608
            "i.gave_up_at, i.resolved_at, (SELECT COUNT(*) FROM executions e WHERE e.incident_id = i.id "
            "AND e.kind = 'remedy') AS actions FROM incidents i WHERE " + " AND ".join(clauses) + " "
            "ORDER BY i.id DESC LIMIT ?",
            (*params, where.limit),
        )

    def time_to_mitigate(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Per signature, seconds from opened to resolved of the incidents opened since `since` that
        resolved after a remedy really ran (dry runs mitigate nothing): count, percentiles, max.
        (No remedy starts on a resolved incident, so any real remedy of it ran before.)"""
        rows = self._rows(
            "SELECT i.signature, i.resolved_at - i.opened_at AS seconds FROM incidents i "  # noqa: S608
            "WHERE i.status = 'resolved' AND i.opened_at >= ? AND EXISTS (SELECT 1 FROM executions e "
            "WHERE e.incident_id = i.id AND e.state IN " + REAL_STATES + ")",
            (since,),
        )
        by_signature: dict[str, list[float]] = {}
        for row in rows:
            by_signature.setdefault(row["signature"], []).append(float(row["seconds"]))
        return [_ttm_row(s, sorted(by_signature[s])) for s in sorted(by_signature)]

    def action_success(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Per (signature, action): remedies that really ran since `since` and how they ended."""
        return self._rows(
            "SELECT i.signature, e.action, COUNT(e.id) AS executions, COUNT(o.id) AS verified, "
            "COALESCE(SUM(o.result = 'resolved'), 0) AS resolved, "
            "COALESCE(SUM(o.result = 'not_resolved'), 0) AS not_resolved, "
            "COALESCE(SUM(o.result = 'relapsed'), 0) AS relapsed, "
            "COALESCE(SUM(o.result = 'failed'), 0) AS failed, "
            "ROUND(1.0 * SUM(o.result = 'resolved') / COUNT(o.id), 3) AS success_rate, "
            "ROUND(AVG(e.duration_ms), 1) AS avg_duration_ms "
            "FROM executions e JOIN incidents i ON i.id = e.incident_id "
            "LEFT JOIN outcomes o ON o.execution_id = e.id "
            "WHERE e.started_at >= ? AND e.state IN " + REAL_STATES + " GROUP BY i.signature, e.action "
            "ORDER BY i.signature, success_rate DESC",
            (since,),
        )

    def decision_sources(self, since: float = 0.0) -> list[dict[str, Any]]:
        """How many decisions each source (knowledge, fleet, llm, rule, policy) made, per verdict."""
        return self._rows(
            "SELECT source, verdict, COUNT(*) AS decisions FROM decisions WHERE ts >= ? "
            "GROUP BY source, verdict ORDER BY source, verdict",
            (since,),
        )

    def worst_signatures(self, since: float = 0.0, limit: int = 10) -> list[dict[str, Any]]:
        """Signatures ranked by incidents given up, then remedies that did not resolve, then
        incidents: the problems healing copes with least."""
        counts = self._rows(
            "SELECT signature, COUNT(*) AS incidents, SUM(status = 'gave_up') AS gave_up, "
            "SUM(status != 'resolved') AS active FROM incidents WHERE opened_at >= ? GROUP BY signature",
            (since,),
        )
        outcomes = {
            r["signature"]: r
            for r in self._rows(
                "SELECT i.signature, COUNT(*) AS verified, SUM(o.result != 'resolved') AS unresolved "
                "FROM outcomes o JOIN incidents i ON i.id = o.incident_id "
                "WHERE i.opened_at >= ? GROUP BY i.signature",
                (since,),
            )
        }
        ttm = {r["signature"]: r["p50_s"] for r in self.time_to_mitigate(since)}
        rows = []
        for row in counts:
            seen = outcomes.get(row["signature"], {})
            verified, unresolved = int(seen.get("verified") or 0), int(seen.get("unresolved") or 0)
            rows.append(
                {
                    **row,
                    "verified": verified,
                    "unresolved": unresolved,
                    "success_rate": round(1 - unresolved / verified, 3) if verified else None,
                    "ttm_p50_s": ttm.get(row["signature"]),
                }
            )
        rows.sort(key=lambda r: (-r["gave_up"], -r["unresolved"], -r["incidents"], r["signature"]))
        return rows[:limit]


def _ttm_row(signature: str, ordered: list[float]) -> dict[str, Any]:
    row: dict[str, Any] = {"signature": signature, "incidents": len(ordered)}
    for q in PERCENTILES:
        value = percentile(ordered, q)
        row[f"p{q}_s"] = None if value is None else round(value, 3)
    row["max_s"] = round(ordered[-1], 3)
    row["mean_s"] = round(sum(ordered) / len(ordered), 3)
    return row
