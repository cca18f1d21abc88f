"""The generated polkit rule, evaluated by a real JavaScript engine (node) the way polkitd calls
it: every (user, action, unit, verb) it grants, and nothing it must not."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.cli.main import main
from mapekd.config.loader import load_settings
from mapekd.service.polkit import render_rules

ROOT = Path(__file__).resolve().parents[2]
MANAGE = "org.freedesktop.systemd1.manage-units"

# polkit's own values for the results; NOT_HANDLED is null.
EVALUATE = """
const vm = require("vm");
const fs = require("fs");
const rules = [];
const polkit = {
  Result: {NO: "no", YES: "yes", AUTH_ADMIN: "auth_admin", NOT_HANDLED: null},
  addRule: function (rule) { rules.push(rule); },
  log: function () {},
};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), {polkit: polkit});
const answers = JSON.parse(process.argv[2]).map(function (c) {
  const action = {id: c.id, lookup: function (key) { return c.details[key]; }};
  for (const rule of rules) {
    const result = rule(action, {user: c.user});
    if (result !== null && result !== undefined) return result;
  }
  return null;
});
console.log(JSON.stringify(answers));
"""


def evaluate(rules: Path, cases: list[tuple[str, str, str | None, str | None]]) -> list[str | None]:
    node = shutil.which("node")
    assert node, "node is needed to evaluate the rule (.ci/run installs nodejs)"
    payload = [
        {"user": user, "id": action, "details": {k: v for k, v in (("unit", unit), ("verb", verb)) if v}}
        for user, action, unit, verb in cases
    ]
    result = subprocess.run(
        [node, "-e", EVALUATE, str(rules), json.dumps(payload)], capture_output=True, text=True, check=True
    )
    answers: list[str | None] = json.loads(result.stdout)
    return answers


def _config(tmp_path: Path, actions: list[dict[str, Any]]) -> Path:
    path = tmp_path / "mapekd.yaml"
    path.write_text(yaml.safe_dump({"actions": actions}))
    return path


ACTIONS = [
    {"name": "restart_web", "type": "systemd", "verb": "restart", "units": ["web.service", "api@1.service"]},
    {"name": "reload_web", "type": "systemd", "verb": "reload", "units": ["web.service"]},
    {"name": "start_demo", "type": "command", "argv": ["/usr/bin/demo"], "detach": True},
    {
        "name": "start_kept",
        "type": "command",
        "argv": ["/usr/bin/kept"],
        "detach": True,
        "transient_scope": False,
    },
    {"name": "cleanup", "type": "command", "argv": ["/usr/bin/cleanup"]},
]


def test_grants_exactly_the_allowlisted_units_verbs_and_scopes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install-polkit", "--config", str(_config(tmp_path, ACTIONS))]) == 0
    rules = tmp_path / "50-mapekd.rules"
    rules.write_text(capsys.readouterr().out)
    cases = {
        ("mapekd", MANAGE, "web.service", "restart"): "yes",
        ("mapekd", MANAGE, "web.service", "reload"): "yes",
        ("mapekd", MANAGE, "api@1.service", "restart"): "yes",
        ("mapekd", MANAGE, "mapekd-start_demo-17.scope", "start"): "yes",
        # Not allowlisted: another verb, another unit, another user, another action.
        ("mapekd", MANAGE, "web.service", "stop"): None,
        ("mapekd", MANAGE, "api@1.service", "reload"): None,
        ("mapekd", MANAGE, "sshd.service", "restart"): None,
        ("mapekd", MANAGE, "web.service.evil", "restart"): None,
        ("alice", MANAGE, "web.service", "restart"): None,
        ("mapekd", "org.freedesktop.systemd1.manage-unit-files", "web.service", "restart"): None,
        # Scopes: only to start, only for detached actions that use one, and never a service.
        ("mapekd", MANAGE, "mapekd-start_demo-17.scope", "stop"): None,
        ("mapekd", MANAGE, "mapekd-start_kept-17.scope", "start"): None,
        ("mapekd", MANAGE, "mapekd-cleanup-17.scope", "start"): None,
        ("mapekd", MANAGE, "mapekd-start_demo-17.service", "start"): None,
        ("mapekd", MANAGE, "xmapekd-start_demo-17.scope", "start"): None,
        # systemd < 257 names no unit for a transient unit: such a request is not granted.
        ("mapekd", MANAGE, None, "start"): None,
        ("mapekd", MANAGE, None, None): None,
    }
    assert dict(zip(cases, evaluate(rules, list(cases)), strict=True)) == cases


def test_without_systemd_actions_the_rule_allows_nothing(tmp_path: Path) -> None:
    rules = tmp_path / "50-mapekd.rules"
    rules.write_text(render_rules(load_settings(None)))
    cases = [
        ("mapekd", MANAGE, "web.service", "restart"),
        ("mapekd", MANAGE, "mapekd-x-1.scope", "start"),
        ("mapekd", MANAGE, None, None),
    ]
    assert evaluate(rules, cases) == [None, None, None]


def test_output_writes_the_file_for_polkitd(tmp_path: Path) -> None:
    target = tmp_path / "rules.d" / "50-mapekd.rules"
    config = _config(tmp_path, ACTIONS)
    result = subprocess.run(
        [sys.executable, "-m", "mapekd", "install-polkit", "--config", str(config), "--output", str(target)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout == ""
    assert "2 units, 1 scoped detached actions" in result.stderr
    assert target.read_text() == render_rules(load_settings(config))
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["50-mapekd.rules"], "a temporary file was left"


def test_an_invalid_user_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install-polkit", "--user", 'x" || true || "']) == 2
    assert "not a valid user name" in capsys.readouterr().err


def test_the_example_in_systemd_is_the_rule_for_config_full_yaml() -> None:
    example = (ROOT / "systemd" / "50-mapekd.rules").read_text()
    assert example == render_rules(load_settings(ROOT / "config" / "full.yaml")), (
        "regenerate it: mapekd install-polkit --config config/full.yaml -o systemd/50-mapekd.rules"
    )
