"""`mapekd eval` for real: it starts its own services on loopback, breaks them, decides, scores,
prints JSON, and leaves nothing behind; the host's own checks and actions are never run."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

from mapekd.cli.main import main


def host_config(tmp_path: Path, canary: Path) -> Path:
    """A host configuration whose rule fires at once and whose action would create `canary`."""
    config = {
        "checks": [{"name": "me", "type": "process", "cmdline": "pytest"}],
        "rules": [{"name": "always", "check": "me", "when": "alive == true", "remedies": ["touch_canary"]}],
        "actions": [{"name": "touch_canary", "type": "command", "argv": ["touch", str(canary)]}],
        "knowledge": {"path": str(tmp_path / "host.db")},
        "llm": {"embedded": False},
    }
    path = tmp_path / "host.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def own_processes(pid: int) -> list[str]:
    tag = f"mapekd-eval-{pid}-"
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        args = proc.info["cmdline"] or []
        if any(a.startswith(tag) for a in args):
            found.append(" ".join(args))
    return found


def test_eval_decides_a_crash_and_leaves_a_healthy_service_alone(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = [sys.executable, "-m", "mapekd", "eval", "--config", str(host_config(tmp_path, canary))]
    argv += ["--scenarios", "crash,healthy", "--sources", "rule", "--repeats", "1", "--json"]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    report = json.loads(out)
    figures = report["summary"]["rule"]
    assert figures["runs"] == 2
    assert figures["correct_rate"] == 1.0
    assert figures["actions_on_no_fault_runs"] == 0
    assert figures["mitigated_rate"] == 1.0
    assert figures["latency_fast_rule_ms"] is not None
    runs = {r["scenario"]: r for r in report["runs"]}
    assert runs["crash"]["choice"] == "start_web" and runs["crash"]["scored_source"] == "rule"
    assert runs["crash"]["actions"] == ["start_web:succeeded"]
    assert 0 < runs["crash"]["ttm_s"] < 20
    assert runs["healthy"]["choice"] == "none" and runs["healthy"]["actions"] == []
    assert {s["name"] for s in report["scenarios"]} == {"crash", "healthy"}
    assert all(s["why"] for s in report["scenarios"])
    # Progress went to stderr, one line per run; the figures to stdout.
    assert "crash" in err and "healthy" in err
    # Never the host's configuration: its rule would have fired and run its action at once.
    assert not canary.exists() and not (tmp_path / "host.db").exists()
    # Its temporary directory and every process it started are gone.
    assert list(scratch.iterdir()) == []
    assert own_processes(proc.pid) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--scenarios", "no_such_fault"),
        ("--sources", "oracle"),
        ("--sources", "llm:nobody"),
        ("--sources", "pipeline"),  # the host configuration has no model that can answer
    ],
)
def test_an_unknown_name_is_a_config_error_naming_the_option(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "--config", str(host_config(tmp_path, tmp_path / "canary")), option, value]
    level = logging.getLogger("mapekd").level
    assert main([*argv, *(["--sources", "rule"] if option != "--sources" else [])]) == 2
    err = capsys.readouterr().err
    assert option in err and value in err
    assert logging.getLogger("mapekd").level == level, "the caller's logging is left as it was"


def plan_answer(action: str) -> str:
    return json.dumps({"action": action, "params": {}, "risk": "low", "confidence": 0.9, "rationale": "test"})


def test_each_configured_provider_decides_alone(tmp_path: Path) -> None:
    """Two providers that always answer the same remedy: each `llm:NAME` run acts on its own
    provider's answer, recorded as the LLM's (a leak: no cause class settles it first)."""
    providers = [
        {"name": "says_restart", "type": "offline", "default_answer": plan_answer("restart_web")},
        {"name": "says_cleanup", "type": "offline", "default_answer": plan_answer("cleanup_tmp")},
    ]
    config = tmp_path / "llm.yaml"
    config.write_text(yaml.safe_dump({"llm": {"providers": providers}}))
    argv = [sys.executable, "-m", "mapekd", "eval", "--config", str(config), "--scenarios", "leak"]
    argv += ["--sources", "llm:says_restart,llm:says_cleanup", "--repeats", "1", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    runs = {r["source"]: r for r in report["runs"]}
    assert runs["llm:says_restart"]["choice"] == "restart_web" and runs["llm:says_restart"]["correct"]
    assert runs["llm:says_cleanup"]["choice"] == "cleanup_tmp" and not runs["llm:says_cleanup"]["correct"]
    assert runs["llm:says_restart"]["llm_calls"] == {"plan.j2": 1}
    for run in runs.values():
        assert run["scored_source"] == "llm" and run["decisions"][0]["source"] == "llm"
    assert report["summary"]["llm:says_restart"]["correct_rate"] == 1.0
    assert report["summary"]["llm:says_cleanup"]["correct_rate"] == 0.0
    assert report["summary"]["llm:says_restart"]["latency_llm_path_ms"] is not None
