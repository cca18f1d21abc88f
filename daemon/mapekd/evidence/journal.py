"""A systemd unit's journal since shortly before the incident: `journalctl --unit UNIT -o json`.

journalctl runs from the system directories (binaries.py), with argv, the gatherer's deadline and
an output cap; `--directory` reads a journal shipped elsewhere (`evidence.journal_directory`).
Read newest first, so that the output cap or the deadline cuts the oldest lines. `--unit` also
matches what systemd itself logged about the unit ("Main process exited,
code=killed, status=9/KILL"). A message of warning priority or worse is prefixed with its level.
"""

from __future__ import annotations

import json
import logging

from mapekd.binaries import system_binary
from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest
from mapekd.evidence.command import run_tool

log = logging.getLogger("mapekd.evidence")

FIELDS = "MESSAGE,PRIORITY"
JSON_OVERHEAD = 4
"""journalctl's JSON is a few times larger than the messages it carries (cursor, ids, escapes)."""
LEVELS = ("emerg", "alert", "crit", "err", "warning")
"""syslog priorities 0-4, the ones shown as a prefix."""


class JournalGatherer:
    kind: EvidenceKind = "journal"

    def __init__(
        self, unit: str | None = None, *, journalctl: str | None = None, directory: str | None = None
    ) -> None:
        self.unit = unit
        """The unit read; None: the one the incident's target names (`systemd:UNIT`)."""
        self.journalctl = journalctl or system_binary("journalctl")
        self.directory = directory

    def argv(self, request: EvidenceRequest, unit: str) -> list[str]:
        assert self.journalctl is not None
        argv = [self.journalctl, f"--unit={unit}", "--output=json", f"--output-fields={FIELDS}"]
        # Newest first: with --since, `--lines` alone would count from the oldest (systemd < 256).
        argv += [f"--since=@{int(request.since)}", "--reverse", f"--lines={request.max_items}"]
        argv += ["--no-pager", "--quiet"]
        if self.directory:
            argv.append(f"--directory={self.directory}")
        return argv

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        unit = self.unit or unit_of(request.target)
        if unit is None:
            log.debug("no journal evidence for %s: it names no unit", request.target)
            return []
        if self.journalctl is None:
            log.debug("no journal evidence for %s: journalctl is not installed", unit)
            return []
        cap = JSON_OVERHEAD * request.max_bytes + 65_536
        out = run_tool(self.argv(request, unit), timeout=request.deadline_s, max_bytes=cap)
        if out.code not in (0, None):
            log.debug("no journal evidence for %s: journalctl exited %s: %s", unit, out.code, out.stderr)
            return []
        if out.error:
            log.debug("journal evidence for %s incomplete: %s", unit, out.error)
        entries = [parse(line, unit) for line in reversed(out.stdout.splitlines())]
        items = [item for entry in entries for item in entry]  # oldest first, as every gatherer gives
        return keep_newest([i for i in items if i.at is None or i.at >= request.since], request)


def unit_of(target: str) -> str | None:
    """The unit of a `systemd:UNIT` target."""
    kind, _, unit = target.partition(":")
    return unit if kind == "systemd" and unit else None


def parse(line: bytes, unit: str) -> list[EvidenceItem]:
    """One entry of `journalctl -o json`: an item per line of its message (one, mostly); none
    when it is not an entry (a line cut by the output cap)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return []
    if not isinstance(entry, dict):
        return []
    message = message_text(entry.get("MESSAGE"))
    if message is None:
        return []
    level = _level(entry.get("PRIORITY"))
    at = _seconds(entry.get("__REALTIME_TIMESTAMP"))
    lines = [text for text in message.splitlines() if text.strip()] or [message]
    return [EvidenceItem("journal", unit, f"{level}: {text}" if level else text, at) for text in lines]


def message_text(value: object) -> str | None:
    """MESSAGE as journalctl's JSON gives it: a string, or an array of bytes for a message that is
    not valid UTF-8 or holds control characters (null for one too large to show)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value).decode("utf-8", "replace")
    return None


def _level(priority: object) -> str | None:
    text = str(priority) if isinstance(priority, str | int) else ""
    return LEVELS[int(text)] if text.isdigit() and int(text) < len(LEVELS) else None


def _seconds(realtime_us: object) -> float | None:
    text = str(realtime_us) if isinstance(realtime_us, str | int) else ""
    return int(text) / 1e6 if text.isdigit() else None
