"""On first sight, with no knowledge: real services, the web service's health failing for two
causes the rule's order cannot both fit. The database refusing connections gets the database
started; a config no restart can fix is escalated without a single action."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_the_cause_in_the_log_decides_right_first(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = [sys.executable, "-m", "mapekd", "eval", "--scenarios", "dependency_down,broken_config"]
    argv += ["--sources", "rule", "--repeats", "1", "--json"]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=240, env={**os.environ, "TMPDIR": str(scratch)}
    )
    assert done.returncode == 0, done.stderr
    runs = {r["scenario"]: r for r in json.loads(done.stdout)["runs"]}
    dependency, config = runs["dependency_down"], runs["broken_config"]
    assert (dependency["choice"], dependency["correct"]) == ("start_db", True), dependency
    assert dependency["actions"][0] == "start_db:succeeded"
    assert (config["choice"], config["correct"]) == ("escalate", True), config
    assert config["actions"] == []
