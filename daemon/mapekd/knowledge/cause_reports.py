"""The causes seen per signature, for people (the HTML report): how often each cause came, the
templates that make it, and what fixed it (success per action for that very cause)."""

from __future__ import annotations

from typing import Any

from mapekd.knowledge.queries import Queries

_CAUSES = (
    "SELECT signature, fingerprint, COUNT(*) AS incidents, MAX(id) AS latest FROM incidents "
    "WHERE fingerprint IS NOT NULL AND opened_at >= ? GROUP BY signature, fingerprint "
    "ORDER BY incidents DESC, latest DESC LIMIT ?"
)


def causes(q: Queries, since: float, limit: int = 20) -> list[dict[str, Any]]:
    """The most frequent causes of the incidents opened since `since`: [{signature,
    fingerprint, incidents, templates, remedies: [{action, resolved, tries}] best first}]."""
    found = []
    rates: dict[str, dict[str | None, dict[str, tuple[int, int]]]] = {}
    for row in q._rows(_CAUSES, (since, limit)):
        latest = q.cause_of(int(row["latest"]))
        if row["signature"] not in rates:
            rates[row["signature"]] = q.cause_rates(row["signature"])
        record = rates[row["signature"]].get(row["fingerprint"], {})
        best_first = sorted(record.items(), key=lambda item: (-item[1][0] / item[1][1], -item[1][0], item[0]))
        remedies = [{"action": a, "resolved": ok, "tries": n} for a, (ok, n) in best_first]
        found.append(
            {
                "signature": row["signature"],
                "fingerprint": row["fingerprint"],
                "incidents": int(row["incidents"]),
                "templates": latest["templates"],
                "remedies": remedies,
            }
        )
    return found
