"""Bad configuration: exit 2 with a message naming the key (and line); unknown keys rejected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CASES = [
    (
        "checks:\n  - name: a\n    type: host\n  - name: b\n    type: host\n"
        "  - name: web\n    type: http\n    url: not a url\n",
        "checks[2].url: invalid URL",
        8,
    ),
    (
        "checks:\n  - name: web\n    type: http\n    url: http://127.0.0.1:1/\n    tiemout: 5s\n",
        "checks[0].tiemout: unknown key",
        5,
    ),
    ("daemon:\n  interval: 5 minutes\n", "daemon.interval: invalid duration", 2),
    (
        "rules:\n  - name: r\n    check: missing\n    when: ok == false\n",
        "rules[0].check: unknown check 'missing'",
        3,
    ),
    (
        "rules:\n  - name: r\n    check: host\n    when: __import__('os').system('x')\n",
        "rules[0].when: unsupported syntax",
        4,
    ),
    (
        "actions:\n  - name: x\n    type: command\n    argv: [echo, '{secret}']\n",
        "actions[0].argv: unknown placeholder {secret}",
        4,
    ),
    ("checks:\n  - name: bad-name\n    type: host\n", "checks[0].name", 2),
    ("polcy:\n  cooldown: 5s\n", "polcy: unknown key", 1),
    (
        "actions:\n  - name: restart\n    type: command\n    argv: [echo, '{target}']\n"
        "policy:\n  escalate: restart\n",
        "policy.escalate: 'restart' is not a webhook action",
        6,
    ),
    (
        "actions:\n  - name: k\n    type: signal\n    check: p\n"
        "checks:\n  - name: p\n    type: process\n    match_name: x\n"
        "notifications:\n  sinks: [k]\n",
        "notifications.sinks[0]: 'k' is not a webhook action",
        10,
    ),
]


def _mapekd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mapekd", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("text", "expected", "line"), CASES)
def test_check_config_names_the_key_and_exits_2(tmp_path: Path, text: str, expected: str, line: int) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = _mapekd("check-config", "--config", str(path))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert f"(line {line})" in result.stderr


def test_run_with_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("checks:\n  - name: a\n    type: nope\n")
    result = _mapekd("run", "--once", "--config", str(path))
    assert result.returncode == 2
    assert "checks[0]: unknown type 'nope'" in result.stderr


def test_valid_example_config_passes(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
    result = _mapekd("check-config", "--config", str(example))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")
