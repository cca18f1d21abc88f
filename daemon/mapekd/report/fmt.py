"""Numbers for people, shared by the terminal and the HTML views."""

from __future__ import annotations

from datetime import datetime


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f}s"
    if value < 7200:
        return f"{value / 60:.1f}m"
    return f"{value / 3600:.1f}h"


def fmt_ts(ts: float | None, seconds: bool = True) -> str:
    """Local time, as the daemon's logs show it."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
