"""Real journal files for the tests: export-format entries written by systemd-journal-remote.

systemd is not PID 1 where the tests run, so there is no journald to log to; journal-remote writes
the same on-disk format journald does, and `journalctl --directory` reads it like any journal.
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

JOURNAL_REMOTE_PATHS = ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")
"""This boot's: `journalctl --dmesg` reads the current boot only."""


@dataclass(frozen=True)
class Entry:
    message: str | bytes
    at: float
    unit: str = "web.service"
    priority: int = 6
    binary: bool = False
    """Written in the export format's binary field form (the way a message with control
    characters or invalid UTF-8 is stored)."""
    extra: tuple[tuple[str, str], ...] = ()


def journal_remote() -> str:
    for path in JOURNAL_REMOTE_PATHS:
        if Path(path).is_file():
            return path
    pytest.fail("systemd-journal-remote not found: install Debian's systemd-journal-remote")


def export_format(entries: list[Entry]) -> bytes:
    out = bytearray()
    for seq, entry in enumerate(entries, start=1):
        fields = {
            "__REALTIME_TIMESTAMP": str(int(entry.at * 1e6)),
            "__MONOTONIC_TIMESTAMP": str(seq),
            "_BOOT_ID": BOOT_ID,
            "_HOSTNAME": "testhost",
            "_SYSTEMD_UNIT": entry.unit,
            "PRIORITY": str(entry.priority),
            **dict(entry.extra),
        }
        for key, value in fields.items():
            out += f"{key}={value}\n".encode()
        message = entry.message.encode() if isinstance(entry.message, str) else entry.message
        if entry.binary:
            out += b"MESSAGE\n" + struct.pack("<Q", len(message)) + message + b"\n"
        else:
            out += b"MESSAGE=" + message + b"\n"
        out += b"\n"
    return bytes(out)


def write_journal(directory: Path, entries: list[Entry]) -> Path:
    """A journal file in `directory` holding `entries`; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory.parent / f"{directory.name}.export"
    source.write_bytes(export_format(entries))
    subprocess.run(
        [journal_remote(), f"--output={directory / 'remote.journal'}", str(source)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return directory
