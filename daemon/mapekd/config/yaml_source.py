"""YAML parsing that keeps line numbers, so config errors can point at the offending line."""

from __future__ import annotations

from typing import Any

import yaml

from mapekd.errors import ConfigError

PathPart = str | int


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The plain data and the composed node tree (for line look-ups) of a YAML document."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"invalid YAML: {exc.problem}", path="<yaml>", line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path="<yaml>") from exc
    return data, node


def line_of(node: yaml.Node | None, path: tuple[PathPart, ...]) -> int | None:
    """1-based line of the deepest node reachable along `path` (key lines for mapping keys)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == part), None)
            if match is None:
                return line
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def format_path(path: tuple[PathPart, ...]) -> str:
    """`('checks', 2, 'url')` -> `checks[2].url`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
