"""systemd/mapekd.service as systemd itself reads it (Debian's systemd-analyze): it verifies, its
exposure stays at most 2.5 (also with the CAP_KILL drop-in), and the hardening leaves the daemon
what it needs: the system bus for polkit, the network, /proc of every process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.service.analyze import MAX_EXPOSURE, exposure, settings, systemd_analyze

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "mapekd.service"
DROP_IN = ROOT / "systemd" / "signal-other-users.conf"


def test_the_unit_verifies(tmp_path: Path) -> None:
    # verify checks that ExecStart's binary exists: point it at this interpreter running mapekd.
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/mapekd run " in text
    copy = tmp_path / "mapekd.service"
    copy.write_text(
        text.replace("ExecStart=/usr/local/bin/mapekd ", f"ExecStart={sys.executable} -m mapekd ")
    )
    result = systemd_analyze("verify", str(copy))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_exposure_is_at_most_2_5() -> None:
    assert exposure(str(UNIT)) <= MAX_EXPOSURE


def test_exposure_with_cap_kill_is_at_most_2_5(tmp_path: Path) -> None:
    units = tmp_path / "etc" / "systemd" / "system"
    (units / "mapekd.service.d").mkdir(parents=True)
    (units / "mapekd.service").write_text(UNIT.read_text())
    (units / "mapekd.service.d" / DROP_IN.name).write_text(DROP_IN.read_text())
    with_cap = exposure(f"--root={tmp_path}", "mapekd.service")
    assert exposure(str(UNIT)) < with_cap <= MAX_EXPOSURE, "the drop-in changed nothing"
    assert settings(DROP_IN.read_text())["AmbientCapabilities"] == ["CAP_KILL"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("Type", ["notify"]),
        ("NotifyAccess", ["main"]),
        ("User", ["mapekd"]),
        ("Restart", ["on-failure"]),
        ("KillMode", ["process"]),  # detached services outlive the daemon
        ("ExecReload", ["/bin/kill -HUP $MAINPID"]),
        ("StateDirectory", ["mapekd"]),
        ("ConfigurationDirectory", ["mapekd"]),
        ("LogsDirectory", ["mapekd"]),
        ("CapabilityBoundingSet", [""]),
        # Bounds: 1100 idle API connections once exhausted the default 1024 fds (remedies failed
        # with EMFILE); memory and tasks bound whatever runs away.
        ("LimitNOFILE", ["8192"]),
        ("MemoryMax", ["1536M"]),
        ("TasksMax", ["512"]),
        # Evidence: the journal (and the kernel's log in it) and Debian's root:adm log files.
        ("SupplementaryGroups", ["systemd-journal adm"]),
    ],
)
def test_service_settings(key: str, expected: list[str]) -> None:
    assert settings(UNIT.read_text()).get(key) == expected


def test_hardening_leaves_what_the_daemon_needs() -> None:
    unit = settings(UNIT.read_text())
    assert "WatchdogSec" in unit and "DynamicUser" not in unit
    families = unit["RestrictAddressFamilies"][0].split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= set(families), "D-Bus (polkit) and checks need these"
    for blocks_bus_or_network in ("PrivateNetwork", "IPAddressDeny", "PrivateUsers"):
        assert blocks_bus_or_network not in unit
    # Process checks read /proc of other users' processes; host checks read /proc/stat etc.
    assert unit.get("ProtectProc", ["default"]) == ["default"]
    assert unit.get("ProcSubset", ["all"]) == ["all"]


def test_evidence_reads_the_kernel_log_through_the_journal_not_the_ring_buffer() -> None:
    """The kernel's log is read as journald copied it (the group systemd-journal): the ring buffer
    would need CAP_SYSLOG, so it stays closed and no capability is granted for it."""
    unit = settings(UNIT.read_text())
    assert "systemd-journal" in unit["SupplementaryGroups"][0].split()
    assert unit["ProtectKernelLogs"] == ["yes"] and unit["PrivateDevices"] == ["yes"]
    assert unit["CapabilityBoundingSet"] == [""] and unit["AmbientCapabilities"] == [""]
