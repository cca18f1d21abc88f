"""The psutil listing behind the process table, against processes the tests start themselves."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

import psutil

from mapekd.monitor.procstat import listed_of, measure, scan

from .conftest import is_zombie, wait_until

Spawn = Callable[..., subprocess.Popen[bytes]]


def test_a_listed_process_is_what_listed_of_reads(spawn: Spawn, token: str) -> None:
    proc = spawn(token)

    listed = next(entry for entry in scan(want_cmdline=True, want_uid=True) if entry.pid == proc.pid)
    now = listed_of(proc.pid, want_cmdline=True)

    assert now is not None and token in listed.cmdline and token in now.cmdline
    assert (listed.name, listed.uid, listed.create_time) == (now.name, now.uid, now.create_time)
    assert listed.uid == os.getuid()
    assert listed.create_time == psutil.Process(proc.pid).create_time()


def test_the_scan_reads_no_cmdline_or_uid_unless_asked(spawn: Spawn, token: str) -> None:
    proc = spawn(token)

    listed = next(entry for entry in scan(want_cmdline=False) if entry.pid == proc.pid)

    assert listed.cmdline == "" and listed.uid is None


def test_zombies_are_never_listed(spawn: Spawn, token: str) -> None:
    proc = spawn(token)
    os.kill(proc.pid, signal.SIGKILL)  # and not reaped yet: a zombie
    wait_until(lambda: is_zombie(proc.pid))

    assert proc.pid not in {entry.pid for entry in scan(want_cmdline=False)}
    assert listed_of(proc.pid, want_cmdline=False) is None


def test_a_measurement_reads_memory_threads_and_descriptors(spawn: Spawn) -> None:
    proc = spawn()

    measured = measure(psutil.Process(proc.pid))

    assert measured.rss_bytes > 0 and measured.threads >= 1
    assert measured.open_fds is not None and measured.open_fds >= 3 and measured.cpu_seconds >= 0
