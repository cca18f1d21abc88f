"""`depends_on` names checks that exist, and no check depends on itself through others; errors
name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError


def load(tmp_path: Path, checks: list[dict[str, Any]]) -> Any:
    path = tmp_path / "mapekd.yaml"
    path.write_text(yaml.safe_dump({"checks": checks, "knowledge": {"path": str(tmp_path / "kb.db")}}))
    return load_settings(path, {})


def proc(name: str, *depends_on: str) -> dict[str, Any]:
    return {"name": name, "type": "process", "match_name": name, "depends_on": list(depends_on)}


def test_dependencies_load_in_order(tmp_path: Path) -> None:
    settings = load(tmp_path, [proc("web", "db"), proc("db", "disk"), proc("disk")])
    assert [c.depends_on for c in settings.checks] == [["db"], ["disk"], []]


def test_an_unknown_dependency_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, [proc("web"), proc("api", "web", "dbx")])
    assert caught.value.path == "checks[1].depends_on" and "'dbx'" in caught.value.message


@pytest.mark.parametrize(
    "checks",
    [
        [proc("web", "db"), proc("db", "cache"), proc("cache", "web")],
        [proc("web", "web")],
    ],
)
def test_a_cycle_names_the_key_and_the_cycle(tmp_path: Path, checks: list[dict[str, Any]]) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, checks)
    assert caught.value.path.startswith("checks[") and caught.value.path.endswith("].depends_on")
    assert caught.value.message.startswith("dependency cycle: ")
    cycle = caught.value.message.removeprefix("dependency cycle: ").split(" -> ")
    assert cycle[0] == cycle[-1] and set(cycle) == {c["name"] for c in checks}
