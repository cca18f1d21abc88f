"""systemd's verdict: the parser on `systemctl show` output, and a host without systemd."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.verdict import VerdictGatherer, verdict_text

# `systemctl show web.service -p Result -p ExecMainCode ...` of a service the OOM killer ended
# (systemd prints the properties in its own order, not the order asked).
OOM_KILLED = """\
NRestarts=3
ExecMainCode=2
ExecMainStatus=9
Result=oom-kill
ActiveState=failed
SubState=failed
"""
EXITED = (
    "Result=exit-code\nExecMainCode=1\nExecMainStatus=1\nNRestarts=0\n"
    "ActiveState=activating\nSubState=auto-restart\n"
)
NEVER_RAN = (
    "Result=success\nExecMainCode=0\nExecMainStatus=0\nNRestarts=0\nActiveState=inactive\nSubState=dead\n"
)


def test_oom_kill_verdict() -> None:
    assert verdict_text(OOM_KILLED) == (
        "Result=oom-kill ExecMainCode=killed ExecMainStatus=9/KILL NRestarts=3 "
        "ActiveState=failed SubState=failed"
    )


def test_exit_code_verdict_keeps_the_status_as_a_number() -> None:
    assert verdict_text(EXITED) == (
        "Result=exit-code ExecMainCode=exited ExecMainStatus=1 NRestarts=0 "
        "ActiveState=activating SubState=auto-restart"
    )


def test_a_core_dump_names_the_signal_and_junk_is_left_out() -> None:
    text = verdict_text("Result=core-dump\nExecMainCode=3\nExecMainStatus=11\nNRestarts=\nnoise\nOther=1\n")
    assert text == "Result=core-dump ExecMainCode=dumped ExecMainStatus=11/SEGV"


def test_a_unit_that_never_ran() -> None:
    assert verdict_text(NEVER_RAN).startswith("Result=success ExecMainCode=0 ExecMainStatus=0")


def test_without_systemd_as_init_nothing_and_the_reason_at_debug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gatherer = VerdictGatherer("web.service", runtime_dir=str(tmp_path / "no-systemd-here"))
    caplog.set_level("DEBUG", logger="mapekd.evidence")
    request = EvidenceRequest(1, "web", "systemd:web.service", time.time(), time.time() - 120, 5.0, 10, 4096)
    assert gatherer.gather(request) == []
    assert "systemd is not the init system" in caplog.text


def test_a_failing_systemctl_gives_nothing_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """systemd's runtime directory present but no manager to answer (as in a container)."""
    gatherer = VerdictGatherer("web.service", systemctl="/usr/bin/false", runtime_dir=str(tmp_path))
    caplog.set_level("DEBUG", logger="mapekd.evidence")
    request = EvidenceRequest(1, "web", "systemd:web.service", time.time(), time.time() - 120, 5.0, 10, 4096)
    assert gatherer.gather(request) == []
    assert "no verdict for web.service: exit 1" in caplog.text
