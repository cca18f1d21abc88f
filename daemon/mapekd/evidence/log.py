"""The tail of the log files a check names (`logs:`, paths or globs).

Globs are expanded with a bound on the names looked at; the newest files (by modification time)
are read first, at most MAX_FILES, and a file not written since the incident window began is
skipped (it holds nothing of the incident). From each file the bounded tail reader takes the last
lines (its rotated predecessor too when it was just rotated); lines whose timestamp is parseable
are kept from `request.since` on, a line without one goes with the line before it (a traceback's
continuation); a file whose lines carry no timestamp gives its last lines.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import logging
import os
import stat
import time
from collections.abc import Sequence

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest
from mapekd.evidence.logtime import line_time
from mapekd.tailing import last_lines

log = logging.getLogger("mapekd.evidence")

MAX_FILES = 8
"""Files read per incident, newest first."""
MAX_MATCHES = 256
"""Names a glob may yield before the rest is ignored (a glob over a huge directory stays cheap)."""


class LogGatherer:
    kind: EvidenceKind = "log"

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = list(patterns)

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        deadline = time.monotonic() + request.deadline_s
        items: list[EvidenceItem] = []
        for path in self.files(request.since):
            if time.monotonic() > deadline or len(items) >= request.max_items:
                break
            try:
                lines = last_lines(path, max_bytes=request.max_bytes, max_lines=request.max_items)
            except OSError as exc:
                log.debug("log evidence: cannot read %s: %s", path, exc)
                continue
            # newest file first: it has the first claim on the bounds, older files fill what is left
            room = _remaining(request, items)
            items = keep_newest(_since(path, lines, request.since), room) + items
        return items

    def files(self, since: float) -> list[str]:
        """The files the patterns name, modified since `since`, newest first, at most MAX_FILES."""
        found: dict[str, float] = {}
        for pattern in self.patterns:
            names = glob.iglob(pattern) if glob.has_magic(pattern) else iter([pattern])
            for name in itertools.islice(names, MAX_MATCHES):
                try:
                    info = os.stat(name)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode) and info.st_mtime >= since:  # no FIFO, device, directory
                    found[name] = info.st_mtime
        return sorted(found, key=lambda name: found[name], reverse=True)[:MAX_FILES]


def _since(path: str, lines: list[str], since: float) -> list[EvidenceItem]:
    """The lines from `since` on, where timestamps tell; all of them where none does."""
    now = time.time()
    stamped = [(line, line_time(line, now=now)) for line in lines]
    if all(at is None for _, at in stamped):
        return [EvidenceItem("log", path, line) for line in lines]
    items: list[EvidenceItem] = []
    current: float | None = None
    for line, at in stamped:
        current = at if at is not None else current
        if current is not None and current >= since:
            items.append(EvidenceItem("log", path, line, at))
    return items


def _remaining(request: EvidenceRequest, taken: list[EvidenceItem]) -> EvidenceRequest:
    used = sum(len(item.text.encode("utf-8", "replace")) for item in taken)
    left_items, left_bytes = max(0, request.max_items - len(taken)), max(0, request.max_bytes - used)
    return dataclasses.replace(request, max_items=left_items, max_bytes=left_bytes)
