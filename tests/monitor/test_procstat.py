"""The /proc reader behind the process table, against processes the tests start themselves."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from mapekd.monitor import procstat
from mapekd.monitor.procstat import PF_KTHREAD, scan, stat_of

Spawn = Callable[..., subprocess.Popen[bytes]]


def test_a_listed_process_parses_to_what_stat_of_reads(spawn: Spawn, token: str) -> None:
    proc = spawn(token)

    listed = next(entry for entry in scan(want_cmdline=True) if entry.pid == proc.pid)
    now = stat_of(proc.pid)

    assert now is not None and token in listed.cmdline
    parsed = listed.stat()
    assert (parsed.pid, parsed.name, parsed.create_time) == (now.pid, now.name, now.create_time)
    assert parsed.threads == now.threads >= 1 and parsed.rss_bytes > 0 and not parsed.zombie


def test_kernel_threads_are_listed_without_reading_a_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    real = procstat.read_cmdline

    def recorded(pid: int) -> list[str]:
        read.append(pid)
        return real(pid)

    monkeypatch.setattr(procstat, "read_cmdline", recorded)

    listed = list(scan(want_cmdline=True))

    kernel = {e.pid for e in listed if int(e.line.rsplit(b")", 1)[1].split()[6]) & PF_KTHREAD}
    assert kernel, "this host shows no kernel thread in /proc"
    assert kernel.isdisjoint(read)
    assert all(e.cmdline == "" for e in listed if e.pid in kernel)
    assert set(read) == {e.pid for e in listed} - kernel  # every other process had its cmdline read
