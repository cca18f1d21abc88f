"""A real (non-editable) wheel in a fresh venv gives a working `mapekd` that finds its
migrations and prompts from any working directory."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_install_runs_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("mapekd-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mapekd/_data/knowledge/migrations/0001_initial.sql" in names
    assert any(n.startswith("mapekd/_data/prompts/") for n in names)
    assert not any(n.startswith(("tests/", "daemon/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "--quiet", str(wheel)], check=True, capture_output=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = elsewhere / "c.yaml"
    config.write_text("checks:\n  - name: host\n    type: host\nknowledge:\n  path: kb/knowledge.db\n")
    run = subprocess.run(
        [str(bin_dir / "mapekd"), "run", "--once", "--dry-run", "--config", str(config)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "kb" / "knowledge.db").exists()

    incidents = subprocess.run(
        [str(bin_dir / "mapekd"), "kb", "incidents", "--json", "--config", str(config)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(incidents.stdout) == []
    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "from mapekd.resources import data_dir, migrations_dir; "
            "print(data_dir('prompts')); print(migrations_dir())",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in where.stdout.split():
        assert str(env_dir) in line and Path(line).is_dir()
