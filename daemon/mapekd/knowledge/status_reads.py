"""What `mapekd status` reads from the knowledge base when the daemon's API cannot tell it: the
latest recorded sample per check and target, and the targets the action counter is counting."""

from __future__ import annotations

import json
from typing import Any

from mapekd.knowledge.queries import Queries

SUMMARY_FIELDS = 4


def summarize(fields: dict[str, Any]) -> str:
    """The check's last value: why it failed to collect, else its first few fields as
    `key=value`, numbers rounded (`ok` is shown as the state, not here)."""
    if fields.get("error"):
        return f"error: {fields['error']}"
    fields = {k: v for k, v in fields.items() if k not in ("ok", "error")}
    parts = []
    for key, value in list(fields.items())[:SUMMARY_FIELDS]:
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={shown}")
    more = len(fields) - SUMMARY_FIELDS
    return " ".join(parts) + (f" (+{more})" if more > 0 else "")


class StatusReads(Queries):
    def latest_samples(self, since: float) -> list[dict[str, Any]]:
        """The newest recorded sample of each (check, target) since `since` (samples are kept only
        when `knowledge.record_samples` is on)."""
        rows = self._rows(
            # SQLite returns the other columns of the row holding MAX(ts) (a documented guarantee).
            "SELECT check_name, target, ok, fields, MAX(ts) AS ts FROM samples WHERE ts >= ? "
            "GROUP BY check_name, target ORDER BY check_name, target",
            (since,),
        )
        for row in rows:
            row["ok"] = bool(row["ok"])
            row["summary"] = summarize(json.loads(row.pop("fields") or "{}"))
        return rows

    def acting_targets(self, since: float) -> list[str]:
        """Targets with remedies started since `since`: the ones whose action counter is not zero."""
        rows = self._rows(
            "SELECT DISTINCT target FROM executions WHERE kind = 'remedy' AND started_at >= ? "
            "ORDER BY target",
            (since,),
        )
        return [r["target"] for r in rows]
