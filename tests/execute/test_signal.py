"""`signal` actions reach only the processes their process check matches."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.config.actions import SignalActionConfig
from mapekd.execute.actions.signal import SignalAction
from mapekd.execute.base import ActionRequest
from mapekd.monitor.process import ProcessCheck


@pytest.fixture
def sleepers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]]:
    marker = f"mapekd-signal-test-{tmp_path.name}"
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "other"])
    yield target, bystander
    for proc in (target, bystander):
        proc.kill()
        proc.wait()


async def test_signals_only_the_matched_process(
    tmp_path: Path, sleepers: tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]
) -> None:
    target, bystander = sleepers
    check = ProcessCheck("victim", cmdline=f"mapekd-signal-test-{tmp_path.name}")

    async def pids_of(name: str) -> list[int]:
        assert name == "victim"
        return await check.matching_pids()

    act = SignalAction(
        SignalActionConfig(name="kill", type="signal", check="victim", signal="SIGKILL"), pids_of=pids_of
    )
    result = await act.run(ActionRequest(1, "s", "process:victim"))
    assert result.state == "succeeded" and str(target.pid) in result.output_tail
    assert target.wait(10) == -9
    assert bystander.poll() is None


async def test_no_matching_process_fails() -> None:
    async def none(_: str) -> list[int]:
        return []

    act = SignalAction(SignalActionConfig(name="kill", type="signal", check="x"), pids_of=none)
    result = await act.run(ActionRequest(1, "s", "process:x"))
    assert result.state == "failed" and "matches no process" in (result.error or "")
