"""Read-only reports on the LLM: usage from `llm_calls` (calls, tokens, cost, cache hits,
latency) and calibration: the confidence the LLM stated for the decisions it made, against how
often those remedies really resolved the incident."""

from __future__ import annotations

import time
from typing import Any

from mapekd.knowledge.queries import REAL_STATES, Queries
from mapekd.knowledge.reports import percentile

DAY_S = 86400.0


def utc_midnight(now: float) -> float:
    """Start of the UTC day of `now`: the daily LLM budget counts from there."""
    return now - now % DAY_S


class LLMReports(Queries):
    def usage(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Per provider and model: calls, errors, cache hits, tokens, cost, and the latency of the
        calls that reached a provider (cache hits take no time to speak of)."""
        rows = self._rows(
            "SELECT provider, model, COUNT(*) AS calls, SUM(error_class IS NOT NULL) AS errors, "
            "SUM(cached) AS cached, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, "
            "ROUND(SUM(cost), 6) AS cost, "
            "ROUND(AVG(CASE WHEN cached = 0 THEN latency_ms END), 1) AS avg_latency_ms FROM llm_calls "
            "WHERE ts >= ? GROUP BY provider, model ORDER BY provider, model",
            (since,),
        )
        latencies = self._latencies(since)
        for row in rows:
            row["cache_hit_rate"] = round(row["cached"] / row["calls"], 3)
            ordered = latencies.get((row["provider"], row["model"]), [])
            for q in (50, 95):
                value = percentile(ordered, q)
                row[f"p{q}_latency_ms"] = None if value is None else round(value, 1)
        return rows

    def _latencies(self, since: float) -> dict[tuple[str, str], list[float]]:
        """Latencies of the calls that reached a provider, in order."""
        out: dict[tuple[str, str], list[float]] = {}
        for row in self._rows(
            "SELECT provider, model, latency_ms FROM llm_calls WHERE ts >= ? AND cached = 0 "
            "ORDER BY latency_ms",
            (since,),
        ):
            out.setdefault((row["provider"], row["model"]), []).append(float(row["latency_ms"]))
        return out

    def spent_since(self, since: float) -> float:
        rows = self._rows("SELECT COALESCE(SUM(cost), 0) AS spent FROM llm_calls WHERE ts >= ?", (since,))
        return float(rows[0]["spent"])

    def spent_today(self, now: float | None = None) -> float:
        return self.spent_since(utc_midnight(time.time() if now is None else now))

    def calibration(self, since: float = 0.0, bins: int = 5) -> dict[str, Any]:
        """Decisions the LLM made (source llm) with a stated confidence and a verified remedy,
        binned by confidence: per bin the count, mean stated confidence and actual success rate;
        overall the Brier score and the expected calibration error (weighted |success - stated|)."""
        rows = self._rows(
            "SELECT d.confidence, MAX(o.result = 'resolved') AS success FROM decisions d "  # noqa: S608
            "JOIN executions e ON e.decision_id = d.id JOIN outcomes o ON o.execution_id = e.id "
            "WHERE d.source = 'llm' AND d.confidence IS NOT NULL AND d.ts >= ? AND e.state IN "
            + REAL_STATES
            + " GROUP BY d.id",
            (since,),
        )
        edges = [i / bins for i in range(bins + 1)]
        table = [_bin(edges[i], edges[i + 1], rows, last=i == bins - 1) for i in range(bins)]
        n = len(rows)
        brier = sum((float(r["confidence"]) - r["success"]) ** 2 for r in rows) / n if n else None
        ece = sum(b["decisions"] * abs(b["success_rate"] - b["stated"]) for b in table if b["decisions"])
        return {
            "decisions": n,
            "bins": table,
            "brier": None if brier is None else round(brier, 4),
            "ece": round(ece / n, 4) if n else None,
        }


def _bin(low: float, high: float, rows: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    inside = [
        r for r in rows if low <= float(r["confidence"]) < high or (last and float(r["confidence"]) == high)
    ]
    n = len(inside)
    return {
        "low": round(low, 3),
        "high": round(high, 3),
        "decisions": n,
        "stated": round(sum(float(r["confidence"]) for r in inside) / n, 3) if n else None,
        "succeeded": sum(int(r["success"]) for r in inside),
        "success_rate": round(sum(int(r["success"]) for r in inside) / n, 3) if n else None,
    }
