"""Taking exactly one JSON object out of a model's answer, or refusing it.

Accepted: the object alone, with surrounding whitespace, optionally inside ONE ```json fence.
Refused: anything longer than MAX_ANSWER_CHARS, text around the object, several objects or
fences, duplicate keys (a parser that keeps the last one would read another answer than a
reviewer reading the first), NaN and Infinity, nesting too deep to parse."""

from __future__ import annotations

import json
import re
from typing import Any

from mapekd.prompting.errors import OutputInvalid

MAX_ANSWER_CHARS = 16 * 1024
_FENCE = re.compile(r"\A```(?:json)?[ \t]*\n(?P<body>.*?)\n?[ \t]*```\Z", re.DOTALL)


def load_object(text: str) -> dict[str, Any]:
    if len(text) > MAX_ANSWER_CHARS:
        raise OutputInvalid(f"answer too long ({len(text)} characters, at most {MAX_ANSWER_CHARS})")
    body = _unfence(text.strip())
    try:
        value = json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        what = "several JSON values or text after the object" if exc.msg == "Extra data" else exc.msg
        raise OutputInvalid(f"not exactly one JSON object: {what}") from exc
    except RecursionError as exc:
        raise OutputInvalid("not exactly one JSON object: nested too deeply") from exc
    if not isinstance(value, dict):
        raise OutputInvalid(f"not a JSON object but a JSON {type(value).__name__}")
    return value


def _unfence(text: str) -> str:
    if not text.startswith("```"):
        return text
    match = _FENCE.match(text)
    if match is None or "```" in match.group("body"):
        raise OutputInvalid("not exactly one JSON object: a code fence that is not one ```json block")
    return match.group("body").strip()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise OutputInvalid(f"duplicate key {json.dumps(key)[:40]}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise OutputInvalid(f"{name} is not a JSON number")
