"""How observed data is written into prompts: compact, deterministic JSON that cannot close the
section it sits in, and text clipped so that no secret is ever cut in half.

Observed text (process names, command lines, HTTP bodies, label values, symptom messages) enters a
prompt only through `to_json`: quotes and newlines are escaped, `<`, `>` and `&` become \\u003c,
\\u003e and \\u0026 (so a `</data>` inside a value cannot end a data section), and everything
outside ASCII is escaped (a look-alike letter or a bidi control shows as what it is)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

CLIP_MARK = " ..."


def clip(text: str, limit: int) -> str:
    """At most about `limit` characters, cut at whitespace only: a token (a password, a key) is
    either whole or absent, never half shown where a redaction pattern would miss it. Text with
    no whitespace before the limit becomes `<N chars>`."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if cut <= 0:
        return f"<{len(text)} chars>"
    return text[:cut].rstrip() + CLIP_MARK


def oneline(text: str, limit: int = 200) -> str:
    """Control characters and newlines become spaces (for plain-text output on a terminal)."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return clip(" ".join(flat.split()), limit)


def number(value: float) -> float | int:
    """Fewer digits (each digit is a token for small models) without losing what matters."""
    if isinstance(value, int) or value.is_integer():
        return int(value)
    size = abs(value)
    if size >= 100:
        return round(value)
    if size >= 1:
        return round(value, 1)
    return float(f"{value:.3g}")  # slopes per second are small: keep significant digits


def compact(value: Any, text_limit: int = 160) -> Any:
    """Numbers shortened, strings clipped, non-finite floats dropped to None, recursively."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return number(value) if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return clip(value, text_limit)
    if isinstance(value, Mapping):
        return {str(k): compact(v, text_limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [compact(v, text_limit) for v in value]
    return clip(str(value), text_limit)


def present(fields: Mapping[str, Any], text_limit: int = 160) -> dict[str, Any]:
    """Compact fields without the ones that carry nothing (None, empty text)."""
    return {k: compact(v, text_limit) for k, v in fields.items() if v is not None and v != ""}


def ago(seconds: float) -> str:
    """`45s`, `12m`, `3h`, `4d`: how long ago, as short as a model reads it."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{round(seconds / size)}{unit}"
    return f"{max(round(seconds), 0)}s"
