"""`make install DESTDIR=...` stages the FHS tree: unit, sysusers file, configuration (kept when it
exists), the polkit rule generated from it, state and log directories. The staged tree is then
checked by the tools that would consume it: systemd-sysusers and systemd-analyze."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from tests.service.analyze import MAX_EXPOSURE, exposure, settings

from mapekd.config.loader import load_settings
from mapekd.service.polkit import render_rules

ROOT = Path(__file__).resolve().parents[2]


def make_install(destdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    mapekd = shlex.join([sys.executable, "-m", "mapekd"])  # the tree's own mapekd, not an installed one
    result = subprocess.run(
        ["make", "--no-print-directory", "install", f"DESTDIR={destdir}", f"MAPEKD={mapekd}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "daemon")},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_stages_the_fhs_tree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_install(root, "BINDIR=/opt/mapekd/bin")
    unit = root / "etc/systemd/system/mapekd.service"
    config = root / "etc/mapekd/mapekd.yaml"
    rules = root / "etc/polkit-1/rules.d/50-mapekd.rules"
    assert mode(unit) == 0o644 and mode(config) == 0o640 and mode(rules) == 0o644
    assert settings(unit.read_text())["ExecStart"] == [
        "/opt/mapekd/bin/mapekd run --config /etc/mapekd/mapekd.yaml"
    ]
    assert config.read_text() == (ROOT / "systemd/mapekd.yaml").read_text()
    assert load_settings(config).knowledge.path == "/var/lib/mapekd/knowledge.db"
    assert rules.read_text() == render_rules(load_settings(config))
    assert (root / "usr/lib/sysusers.d/mapekd.conf").read_text() == (
        ROOT / "systemd/mapekd.sysusers"
    ).read_text()
    assert mode(root / "var/lib/mapekd") == 0o750 and mode(root / "var/log/mapekd") == 0o750
    assert exposure(f"--root={root}", "mapekd.service") <= MAX_EXPOSURE


def test_reinstall_keeps_the_configuration_and_regenerates_the_rule(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_install(root)
    config = root / "etc/mapekd/mapekd.yaml"
    edited = yaml.safe_load(config.read_text())
    edited["actions"] = [
        {"name": "restart_web", "type": "systemd", "verb": "restart", "units": ["web.service"]}
    ]
    config.write_text(yaml.safe_dump(edited))
    make_install(root)
    assert yaml.safe_load(config.read_text()) == edited, "make install overwrote an existing configuration"
    rules = (root / "etc/polkit-1/rules.d/50-mapekd.rules").read_text()
    assert '{"web.service": ["restart"]}' in rules


def test_the_sysusers_file_creates_the_mapekd_user(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", "-"],
        input=(ROOT / "systemd/mapekd.sysusers").read_text(),
        capture_output=True,
        text=True,
        check=True,
    )
    [entry] = [line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()]
    assert entry[0] == "mapekd" and entry[5:] == ["/var/lib/mapekd", "/usr/sbin/nologin"]
    assert int(entry[2]) < 1000, "not a system user"
