"""How a process ended: a real OOM kill in a memory cgroup, read back from the kernel log, and
the exit status the kernel keeps with a pidfd."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.exits import ExitBook, ExitsGatherer, describe_status, pidfd_exit_status
from mapekd.evidence.kernel import KernelGatherer, death_line
from mapekd.evidence.kmsg import KernelRecord, parse_record
from tests.evidence.journal_files import Entry, write_journal
from tests.evidence.memcg import memory_cgroup, move_into

HOG = "import sys\nsys.stdin.readline()\nheld = []\nwhile True:\n    held.append(b'x' * (1 << 20))\n"


def request(since: float, facts: dict[str, object] | None = None) -> EvidenceRequest:
    return EvidenceRequest(1, "hog", "process:hog", time.time(), since, 10.0, 50, 65_536, facts or {})


def test_a_real_oom_kill_is_found_in_the_kernel_log_and_the_exit_status_kept() -> None:
    since = time.time() - 1
    book = ExitBook()
    with memory_cgroup(48 * 1024 * 1024) as group:
        child = subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.PIPE)
        pidfd = os.pidfd_open(child.pid)
        try:
            move_into(group, child.pid)
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            child.stdin.close()
            assert child.wait(60) == -signal.SIGKILL
            book.note_death("hog", child.pid, pidfd)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            os.close(pidfd)
    items = KernelGatherer("hog").gather(request(since, {"pid": None, "last_pid": child.pid}))
    texts = [item.text for item in items]
    assert any(f"Killed process {child.pid} (" in text for text in texts), texts
    assert any(f",pid={child.pid}," in text for text in texts), texts
    assert all(item.kind == "kernel" and item.at is not None and item.at >= since for item in items)
    exits = ExitsGatherer("hog", book).gather(request(since))
    assert [item.text for item in exits] == [f"pid {child.pid} killed by signal 9 (KILL)"]


def test_lines_of_other_processes_are_left_out_when_the_pid_is_known() -> None:
    records = [
        KernelRecord(10.0, "Out of memory: Killed process 4242 (java) total-vm:100kB"),
        KernelRecord(
            11.0,
            "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
            "oom_memcg=/system.slice/web.service,task_memcg=/system.slice/web.service,task=gunicorn,pid=77,uid=33",
        ),
        KernelRecord(12.0, "gunicorn[77]: segfault at 0 ip 00007f sp 00007ffc error 4 in libc.so.6"),
        KernelRecord(13.0, "traps: worker[78] general protection fault ip:4011 sp:7ffd error:0"),
        KernelRecord(14.0, "eth0: link up"),
    ]
    by_pid = KernelGatherer("web").select(records, {77})
    assert [item.at for item in by_pid] == [11.0, 12.0]
    by_unit = KernelGatherer("web", unit="web.service").select(records, set())
    assert [item.at for item in by_unit] == [11.0]
    by_comm = KernelGatherer("web", comm="worker").select(records, set())
    assert [item.at for item in by_comm] == [13.0]
    unknown = KernelGatherer("web").select(records, set())
    assert unknown == [], "another process's kill is no evidence about this one"


def test_death_line_and_kmsg_record_parsing() -> None:
    line = death_line("Memory cgroup out of memory: Killed process 9 (python3) total-vm:1kB")
    assert line is not None and (line.pid, line.comm) == (9, "python3")
    assert death_line("python3 invoked oom-killer: gfp_mask=0xcc0") is None
    record = parse_record(b"3,585,9154009810,-;Killed process 7548 (python)\n SUBSYSTEM=x\n", 100.0)
    assert record == KernelRecord(9154.00981 + 100.0, "Killed process 7548 (python)")
    assert parse_record(b"garbage", 0.0) is None
    escaped = parse_record(b"6,1,5,-;caf\\xc3\\xa9 a\\x5cb tab\\x09end\n", 0.0)
    assert escaped is not None and escaped.text == "caf\u00e9 a\\b tab end"


def test_the_kernel_keeps_the_exit_status_with_a_pidfd_of_a_process_not_our_child() -> None:
    """The grandchild is reaped by its own parent; our pidfd still tells how it ended."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess; p = subprocess.Popen(['sleep', '60']); print(p.pid, flush=True); p.wait()",
        ],
        stdout=subprocess.PIPE,
    )
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())
    pidfd = os.pidfd_open(grandchild)
    try:
        assert pidfd_exit_status(pidfd) is None  # still running
        os.kill(grandchild, signal.SIGSEGV)
        assert parent.wait(30) == 0
        status = pidfd_exit_status(pidfd)
    finally:
        os.close(pidfd)
        parent.stdout.close()
    assert status is not None
    assert describe_status(grandchild, status).startswith(f"pid {grandchild} killed by signal 11 (SEGV)")


def test_own_child_status_recorded_by_the_daemon_and_bounds() -> None:
    book = ExitBook(capacity=3)
    book.note_death("web", 100, None)
    book.record_returncode(100, 1)
    book.note_death("web", 101, None)
    book.record_returncode(101, -signal.SIGTERM)
    book.note_death("web", 102, None)
    texts = [item.text for item in ExitsGatherer("web", book).gather(request(0))]
    assert texts == [
        "pid 100 exited with status 1",
        "pid 101 killed by signal 15 (TERM)",
        "pid 102 ended; the kernel did not tell how",
    ]
    book.note_death("web", 103, None)  # beyond the capacity the oldest is forgotten
    pids = [item.text.split()[1] for item in ExitsGatherer("web", book).gather(request(0))]
    assert pids == ["101", "102", "103"]
    assert ExitsGatherer("other", book).gather(request(0)) == []


def test_without_the_ring_buffer_the_journals_copy_of_the_kernel_log_is_read(tmp_path: Path) -> None:
    """As under the shipped unit: /dev/kmsg is not there (PrivateDevices), the journal is."""
    now = time.time()
    kernel = (("_TRANSPORT", "kernel"),)
    journal = write_journal(
        tmp_path / "journal",
        [
            Entry("Out of memory: Killed process 4242 (java) total-vm:1kB", now - 3600, extra=kernel),
            Entry("Out of memory: Killed process 4343 (java) total-vm:1kB", now - 5, extra=kernel),
            Entry("Killed process 4343 (java) said a service", now - 4),
        ],
    )
    gatherer = KernelGatherer(
        "jvm", comm="java", journal_directory=str(journal), kmsg=str(tmp_path / "no-kmsg")
    )
    items = gatherer.gather(request(now - 120))
    assert [item.text for item in items] == ["Out of memory: Killed process 4343 (java) total-vm:1kB"]
    assert items[0].at is not None and abs(items[0].at - (now - 5)) < 1
