"""A proposal beside the current configuration: by section and name, what is new, what only the
current configuration has, and, for items in both, a unified diff of the two."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from mapekd.discover.yamlout import LIST_SECTIONS


def compare(current: dict[str, Any], proposed: dict[str, Any]) -> list[str]:
    """Lines for people; empty when the proposal's items are all in the configuration as proposed."""
    lines: list[str] = []
    for section in sorted(LIST_SECTIONS):
        have = _by_name(current.get(section))
        want = _by_name(proposed.get(section))
        for name in sorted(want.keys() - have.keys()):
            lines.append(f"+ {section}.{name}: proposed, not configured")
        for name in sorted(have.keys() - want.keys()):
            lines.append(f"- {section}.{name}: configured, not proposed")
        for name in sorted(want.keys() & have.keys()):
            if have[name] != want[name]:
                lines.append(f"~ {section}.{name}: differs")
                lines += _unified(have[name], want[name], f"{section}.{name}")
    return lines


def _by_name(items: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {str(i["name"]): i for i in items if isinstance(i, dict) and "name" in i}


def _unified(old: dict[str, Any], new: dict[str, Any], label: str) -> list[str]:
    def dump(item: dict[str, Any]) -> list[str]:
        return yaml.safe_dump(item, sort_keys=True, default_flow_style=False).splitlines()

    diff = difflib.unified_diff(dump(old), dump(new), f"configured {label}", f"proposed {label}", lineterm="")
    return ["    " + line for line in diff]
