"""The kernel's log records since a moment: /dev/kmsg, or `journalctl --dmesg` where it is closed.

/dev/kmsg hands out one record per read(), oldest still in the ring buffer first; opened
O_NONBLOCK a read past the newest fails with EAGAIN instead of waiting, and a read of a record
the kernel overwrote meanwhile fails with EPIPE (the next read goes on with the oldest left).
There is no seeking to "the end minus a window" (SEEK_END goes past the newest record, SEEK_DATA
to the first after the last `dmesg -c`), so the buffer is read from its start, bounded by a record
count and a deadline, and records before `since` are dropped by their timestamp. The timestamp is
microseconds of the kernel's monotonic clock, turned into wall-clock time here.

Reading /dev/kmsg needs CAP_SYSLOG where kernel.dmesg_restrict=1 (the default of most
distributions); without it the journal's copy of the kernel log is read instead (the journal's
readers: the systemd-journal or adm group).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import time
from dataclasses import dataclass

from mapekd.evidence.command import run_tool
from mapekd.evidence.journal import message_text

log = logging.getLogger("mapekd.evidence")

KMSG = "/dev/kmsg"
MAX_RECORDS = 50_000
"""Records read per call at most (the default ring buffer of 128 KiB-1 MiB holds far fewer)."""
JOURNAL_LINES = 2000
"""Kernel lines read from the journal at most (newest first)."""
RECORD_BYTES = 8192
"""A record is at most about 1 KiB of text plus its dictionary; one read takes one record."""


_ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class KernelRecord:
    at: float
    text: str


def kernel_records(
    since: float,
    *,
    deadline_s: float,
    journalctl: str | None,
    directory: str | None = None,
    kmsg: str = KMSG,
) -> list[KernelRecord]:
    """The kernel's records from `since` on, oldest first: from /dev/kmsg, or the journal."""
    try:
        return read_kmsg(since, deadline_s=deadline_s, path=kmsg)
    except OSError as exc:
        log.debug("kernel log: %s unreadable (%s); reading the journal's copy", kmsg, exc.strerror)
    if journalctl is None:
        log.debug("kernel log: journalctl is not installed either")
        return []
    return read_journal_kernel(since, deadline_s=deadline_s, journalctl=journalctl, directory=directory)


def read_kmsg(since: float, *, deadline_s: float, path: str = KMSG) -> list[KernelRecord]:
    """Records of /dev/kmsg from `since` on. OSError when it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return _read_records(fd, since, time.monotonic() + deadline_s)
    finally:
        os.close(fd)


def _read_records(fd: int, since: float, deadline: float) -> list[KernelRecord]:
    offset = time.time() - time.monotonic()  # wall clock = kernel monotonic + offset
    records: list[KernelRecord] = []
    for _ in range(MAX_RECORDS):
        try:
            raw = os.read(fd, RECORD_BYTES)
        except BlockingIOError:
            break  # the newest record was read
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                continue  # overwritten while we read: go on with the oldest still there
            raise
        record = parse_record(raw, offset)
        if record is not None and record.at >= since:
            records.append(record)
        if time.monotonic() > deadline:
            log.debug("kernel log: stopped reading at the deadline")
            break
    return records


def parse_record(raw: bytes, clock_offset: float) -> KernelRecord | None:
    """`PRIORITY,SEQ,MICROSECONDS,FLAGS[,...];MESSAGE\\n[ KEY=VALUE\\n...]` -> the record."""
    header, sep, rest = raw.partition(b";")
    fields = header.split(b",")
    if not sep or len(fields) < 3 or not fields[2].isdigit():
        return None
    message = _unescape(rest.split(b"\n", 1)[0])
    return KernelRecord(int(fields[2]) / 1e6 + clock_offset, message)


def _unescape(message: bytes) -> str:
    r"""kmsg writes a control character, a byte >= 127 and the backslash as \xNN: back to the
    bytes (UTF-8 text again), control characters as spaces."""
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), message)
    return _CONTROL.sub(" ", raw.decode("utf-8", "replace"))


def read_journal_kernel(
    since: float, *, deadline_s: float, journalctl: str, directory: str | None = None
) -> list[KernelRecord]:
    """The journal's copy of the kernel log (`journalctl --dmesg`: this boot), the newest
    JOURNAL_LINES of it."""
    argv = [journalctl, "--dmesg", "--output=json", "--output-fields=MESSAGE", f"--since=@{int(since)}"]
    argv += ["--reverse", f"--lines={JOURNAL_LINES}", "--no-pager", "--quiet"]
    if directory:
        argv.append(f"--directory={directory}")
    out = run_tool(argv, timeout=deadline_s, max_bytes=4 * 1024 * 1024)
    if out.code not in (0, None):
        log.debug("kernel log: journalctl --dmesg exited %s: %s", out.code, out.stderr)
        return []
    records: list[KernelRecord] = []
    for line in out.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        text = message_text(entry.get("MESSAGE")) if isinstance(entry, dict) else None
        stamp = str(entry.get("__REALTIME_TIMESTAMP", "")) if isinstance(entry, dict) else ""
        if text is not None and stamp.isdigit():
            records.append(KernelRecord(int(stamp) / 1e6, text))
    records.reverse()
    return records
