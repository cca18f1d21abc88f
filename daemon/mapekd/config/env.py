"""Environment overrides: `MAPEKD_KNOWLEDGE__PATH=/srv/k.db` sets `knowledge.path`.

Segments are separated by `__` and matched case-insensitively; inside a list of named items
(checks, actions, llm providers...) a segment selects the item by its `name`, so a secret can
be supplied as `MAPEKD_ACTIONS__PAGER__HEADERS__AUTHORIZATION=...` instead of living in the file.
Values are parsed as YAML scalars (`true`, `5`, `2m` stay typed as written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from mapekd.errors import ConfigError

PREFIX = "MAPEKD_"
RESERVED = frozenset({"MAPEKD_CONFIG"})
LIST_SECTIONS = frozenset({"checks", "rules", "actions", "providers", "api_keys"})
"""Sections that are lists of named items: a missing one cannot be created from a variable."""


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    for var in sorted(env):
        if not var.startswith(PREFIX) or var in RESERVED:
            continue
        parts = [p.lower() for p in var[len(PREFIX) :].split("__") if p]
        if not parts:
            continue
        _set_path(data, parts, _scalar(env[var]), var)
    return data


def _scalar(raw: str) -> Any:
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    return raw if isinstance(value, dict | list) or value is None else value


def _set_path(node: Any, parts: list[str], value: Any, var: str) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            node = _named_item(node, part, var)
            if last:
                raise ConfigError("cannot replace a whole list item from the environment", path=var)
            continue
        if not isinstance(node, dict):
            raise ConfigError("does not name a configuration key", path=var)
        key = next((k for k in node if str(k).lower() == part), part)
        if last:
            node[key] = value
        elif key not in node and key in LIST_SECTIONS:
            raise ConfigError(f"no item named {parts[i + 1]!r} in {key}", path=var)
        else:
            node = node.setdefault(key, {})


def _named_item(items: list[Any], name: str, var: str) -> Any:
    for item in items:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == name:
            return item
    raise ConfigError(f"no item named {name!r}", path=var)
