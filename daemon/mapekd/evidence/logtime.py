"""When a log line was written, from the timestamp it starts with, for the formats seen most.

ISO 8601 / RFC 3339 (`2026-12-06T05:55:05.123Z`, `2026-12-06 05:55:05,123 +0100`), the syslog
prefix (`Dec  6 05:55:05`, no year: this year, or last year if that would be in the future) and
the Common Log Format's `[06/Dec/2026:05:55:05 +0000]`. A time without a zone is local time.
Anything else: None, and the caller falls back to the last lines.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

SEARCH_CHARS = 64
"""A timestamp is looked for in the first characters only (a prefix such as `[pid]` or a level)."""

_ISO = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d{1,9}))?\s?(Z|[+-]\d\d:?\d\d)?(?![\d:])")
_SYSLOG = re.compile(r"^(?:<\d+>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d)\b")
_CLF = re.compile(r"\[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\]")


def line_time(line: str, *, now: float | None = None) -> float | None:
    """The wall-clock time at the start of `line`, or None when it names none."""
    head = line[:SEARCH_CHARS]
    for parse in (_iso, _syslog, _clf):
        at = parse(head, time.time() if now is None else now)
        if at is not None:
            return at
    return None


def _iso(head: str, now: float) -> float | None:
    match = _ISO.search(head)
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    text = f"{day}T{clock}.{(fraction or '0')[:6].ljust(6, '0')}"
    if zone:
        text += "+00:00" if zone == "Z" else zone
    return _timestamp(text, "%Y-%m-%dT%H:%M:%S.%f%z" if zone else "%Y-%m-%dT%H:%M:%S.%f")


def _syslog(head: str, now: float) -> float | None:
    match = _SYSLOG.match(head)
    if match is None:
        return None
    month, day, clock = match.groups()
    year = datetime.fromtimestamp(now).year
    at = _timestamp(f"{year} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
    if at is not None and at > now + timedelta(days=1).total_seconds():  # December's line in January
        at = _timestamp(f"{year - 1} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
    return at


def _clf(head: str, now: float) -> float | None:
    match = _CLF.search(head)
    return _timestamp(" ".join(match.groups()), "%d/%b/%Y:%H:%M:%S %z") if match else None


def _timestamp(text: str, fmt: str) -> float | None:
    try:
        return datetime.strptime(text, fmt).timestamp()
    except ValueError:
        return None
