"""Load and validate the configuration: YAML file + environment overrides -> Settings.

Every failure is a ConfigError naming the key path and, where possible, the line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mapekd.config.env import apply_env_overrides
from mapekd.config.settings import Settings
from mapekd.config.yaml_source import format_path, line_of, parse_yaml
from mapekd.errors import ConfigError


def load_settings(path: str | Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `path` (None: embedded defaults) with `env` overrides applied."""
    text = _read(Path(path)) if path is not None else ""
    data, node = parse_yaml(text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping of sections", path="<root>", line=1)
    data = apply_env_overrides(data, env or {})
    return _validate(data, node)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"no such file: {path}", path="--config") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", path="--config") from exc


def _validate(data: dict[str, Any], node: Any) -> Settings:
    try:
        return Settings.model_validate(data)
    except ConfigError as exc:
        raise ConfigError(exc.message, path=exc.path, line=_line_for(node, exc.path)) from exc
    except ValidationError as exc:
        raise _first_error(exc, node) from exc


def _first_error(exc: ValidationError, node: Any) -> ConfigError:
    error = exc.errors()[0]
    loc = _strip_union_tags(tuple(error["loc"]))
    message = _readable(error)
    if len(exc.errors()) > 1:
        message += f" (and {len(exc.errors()) - 1} more error(s))"
    return ConfigError(message, path=format_path(loc) or "<root>", line=line_of(node, loc))


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """pydantic puts the union member's tag in the location (`checks.2.http.url`); the user wrote
    no such key, so drop the tags: they follow a list index and are not keys of the item."""
    out: list[str | int] = []
    for part in loc:
        if out and isinstance(out[-1], int) and isinstance(part, str) and _is_tag(part):
            continue
        out.append(part)
    return tuple(out)


_TAGS = frozenset(
    {
        "host",
        "process",
        "systemd",
        "http",
        "prometheus",
        "promql",
        "alertmanager",
        "tcp",
        "filesystem",
        "program",
        "directory",
        "network",
        "file",
        "fifo",
        "threshold",
        "flapping",
        "absence",
        "trend",
        "command",
        "signal",
        "webhook",
        "email",
        "openai_compat",
        "ollama",
        "anthropic",
        "local_llama",
        "offline",
    }
)


def _is_tag(part: str) -> bool:
    return part in _TAGS or part.startswith("function-")


def _readable(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check its spelling)"
    if kind == "missing":
        return "required key is missing"
    if kind == "url_parsing" or kind.startswith("url_"):
        return f"invalid URL: {error['msg']}"
    if kind == "union_tag_invalid":
        return f"unknown type {error.get('input', {}).get('type')!r}: {error['msg']}"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def _line_for(node: Any, dotted: str) -> int | None:
    parts: list[str | int] = []
    for piece in dotted.replace("]", "").replace("[", ".").split("."):
        if piece:
            parts.append(int(piece) if piece.isdigit() else piece)
    return line_of(node, tuple(parts))


def locate(exc: ConfigError, path: str | Path | None) -> ConfigError:
    """`exc` (raised after loading, e.g. by the build step) with the line of its key path in the
    file at `path`; unchanged when there is no file or the line is already known."""
    if path is None or exc.line is not None:
        return exc
    try:
        _, node = parse_yaml(_read(Path(path)))
    except ConfigError:
        return exc
    return ConfigError(exc.message, path=exc.path, line=_line_for(node, exc.path))
