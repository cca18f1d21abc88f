"""`signal` actions reach exactly the processes their check observed: never a bystander, never a
process that a stale pidfile or a reused pid points at. Every process here is the test's own."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from mapekd.config.actions import SignalActionConfig
from mapekd.execute.actions.signal import SignalAction
from mapekd.execute.base import ActionRequest
from mapekd.monitor.identity import ObservedProcess, ProcIdentity, send_signal
from mapekd.monitor.process import ProcessCheck

Spawn = Callable[[str], subprocess.Popen[bytes]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    started: list[subprocess.Popen[bytes]] = []

    def start(marker: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def kill_action(check: ProcessCheck) -> SignalAction:
    def observed_of(name: str) -> list[ObservedProcess]:
        assert name == check.name
        return check.observed()

    config = SignalActionConfig(name="kill", type="signal", check=check.name, signal="SIGKILL")
    return SignalAction(config, observed_of=observed_of)


async def test_signals_only_the_observed_process(tmp_path: Path, spawn: Spawn) -> None:
    target, bystander = spawn(f"mapekd-signal-{tmp_path.name}"), spawn("other")
    check = ProcessCheck("victim", cmdline=f"mapekd-signal-{tmp_path.name}")
    await check.collect()

    result = await kill_action(check).run(ActionRequest(1, "s", "process:victim"))

    assert result.state == "succeeded" and str(target.pid) in result.output_tail
    assert target.wait(10) == -9
    assert bystander.poll() is None
    check.close()


async def test_nothing_observed_fails() -> None:
    action = SignalAction(SignalActionConfig(name="kill", type="signal", check="x"), observed_of=lambda _: [])
    result = await action.run(ActionRequest(1, "s", "process:x"))
    assert result.state == "failed" and "observed no process" in (result.error or "")


async def test_a_pidfile_left_behind_naming_an_unrelated_process_is_never_signalled(
    tmp_path: Path, spawn: Spawn
) -> None:
    unrelated = spawn("some-other-program")
    pidfile = tmp_path / "svc.pid"
    pidfile.write_text(f"{unrelated.pid}\n")  # left behind by the dead service; pid now reused
    check = ProcessCheck("svc", pidfile=str(pidfile), cmdline="mapekd-demo-service")

    [sample] = await check.collect()
    result = await kill_action(check).run(ActionRequest(1, "s", "process:svc"))

    assert sample.fields["state"] == "stale_pidfile" and sample.fields["alive"] is False
    assert sample.fields["pid"] is None and str(unrelated.pid) in str(sample.fields["detail"])
    assert sample.error is None  # a finding about the process, not a failure of the check
    assert result.state == "failed"
    assert unrelated.poll() is None


async def test_a_process_replaced_between_scan_and_signal_is_never_signalled(
    tmp_path: Path, spawn: Spawn
) -> None:
    watched = spawn("svc-first")
    pidfile = tmp_path / "svc.pid"
    pidfile.write_text(f"{watched.pid}\n")
    check = ProcessCheck("svc", pidfile=str(pidfile))
    [sample] = await check.collect()  # observed: the first process
    assert sample.fields["pid"] == watched.pid

    watched.kill()
    watched.wait()
    replacement = spawn("svc-second")
    pidfile.write_text(f"{replacement.pid}\n")  # another process stands behind the pidfile now

    result = await kill_action(check).run(ActionRequest(1, "s", "process:svc"))

    assert result.state == "failed" and "gone since it was observed" in (result.error or "")
    assert replacement.poll() is None
    check.close()


def test_without_pidfds_a_reused_pid_is_refused_by_its_start_time(
    spawn: Spawn, monkeypatch: pytest.MonkeyPatch
) -> None:
    newcomer = spawn("holds-the-pid-now")
    start = psutil.Process(newcomer.pid).create_time()
    # What was observed: this pid, held by a process that started earlier (and died since).
    observed = ObservedProcess(ProcIdentity(newcomer.pid, start - 5.0), fd=None)

    with pytest.raises(ProcessLookupError):
        send_signal(observed, signal.SIGKILL)

    time.sleep(0.1)
    assert newcomer.poll() is None


async def test_without_pidfds_the_observed_process_is_still_signalled(
    tmp_path: Path, spawn: Spawn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(pid: int, flags: int = 0) -> int:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    monkeypatch.setattr(os, "pidfd_open", unsupported)
    target = spawn(f"mapekd-nopidfd-{tmp_path.name}")
    check = ProcessCheck("victim", cmdline=f"mapekd-nopidfd-{tmp_path.name}")
    await check.collect()

    result = await kill_action(check).run(ActionRequest(1, "s", "process:victim"))

    assert result.state == "succeeded" and target.wait(10) == -9


async def test_a_reused_pid_behind_an_unchanged_pidfile_is_reported_not_watched(
    tmp_path: Path, spawn: Spawn
) -> None:
    holder = spawn("pid-holder")
    pidfile = tmp_path / "svc.pid"
    pidfile.write_text(f"{holder.pid}\n")
    os.utime(pidfile, (time.time() - 60, time.time() - 60))  # written long before what follows
    check = ProcessCheck("svc", pidfile=str(pidfile))
    # The check once watched a process with this pid that started earlier: that one is dead and
    # the pid was handed on, while nobody rewrote the pidfile.
    check._observer._identity = ProcIdentity(holder.pid, psutil.Process(holder.pid).create_time() - 30)
    check._observer._identity_since = time.time() - 10

    [sample] = await check.collect()
    result = await kill_action(check).run(ActionRequest(1, "s", "process:svc"))

    assert sample.fields["state"] == "pid_reused" and sample.fields["alive"] is False
    assert result.state == "failed" and holder.poll() is None
