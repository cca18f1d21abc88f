"""The state of each configured check for `mapekd status`: as the daemon's API reports it, else
from the newest recorded samples (ok, failing, stale or unknown)."""

from __future__ import annotations

from typing import Any

from mapekd.config.settings import Settings


def check_states(
    settings: Settings, loop: dict[str, Any], samples: list[dict[str, Any]], now: float
) -> list[dict[str, Any]]:
    live = {c["name"]: c for c in loop.get("checks") or []}
    stale_after = 3 * settings.daemon.interval + 10
    out = []
    for check in settings.checks:
        if check.name in live:
            c = live[check.name]
            state = "unknown" if not c.get("targets") else "ok" if c.get("ok") else "failing"
            out.append(
                {
                    "name": check.name,
                    "type": check.type,
                    "state": state,
                    "targets": c.get("targets", 0),
                    "failing": c.get("failing", []),
                    "last_sample_at": c.get("last_sample_at"),
                    "value": c.get("summary", ""),
                    "source": "api",
                }
            )
            continue
        out.append(
            _from_samples(
                check.name,
                check.type,
                [s for s in samples if s["check_name"] == check.name],
                now,
                stale_after,
            )
        )
    return out


def _from_samples(
    name: str, kind: str, rows: list[dict[str, Any]], now: float, stale_after: float
) -> dict[str, Any]:
    failing = [r["target"] for r in rows if not r["ok"]]
    last = max((r["ts"] for r in rows), default=None)
    if last is None:
        state = "unknown"
    elif now - last > stale_after:
        state = "stale"
    else:
        state = "failing" if failing else "ok"
    if len(rows) == 1:
        value = rows[0]["summary"]
    else:
        value = f"{len(rows)} targets, {len(failing)} failing" if rows else "no recorded sample"
    return {
        "name": name,
        "type": kind,
        "state": state,
        "targets": len(rows),
        "failing": failing,
        "last_sample_at": last,
        "value": value,
        "source": "knowledge",
    }
