"""Fitting a prompt into a token budget (SmolLM2-135M has 2048 tokens for prompt and answer).

Sections are trimmed in the context, before rendering, whole items at a time and lowest priority
first, so the rendered prompt never holds a cut JSON value. The incident, the candidates, the
latest evidence items and the answer format are never trimmed; when even the smallest rendering
is too large, PromptTooLarge.

Token counts are estimated for small-vocabulary tokenizers (SmolLM2: every digit is a token, JSON
punctuation often is): an over-estimate for large models, never an under-estimate for SmolLM2 on
these prompts (a test checks it against the real tokenizer). Pass `count` to use a real one."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mapekd.llm.limits.tokens import PER_MESSAGE
from mapekd.prompting.env import Prompts, Rendered
from mapekd.prompting.errors import PromptError, PromptTooLarge

DEFAULT_CONTEXT_TOKENS = 2048
TEMPLATE_OVERHEAD = 16
"""Tokens a chat template adds around the messages (SmolLM2: `<|im_start|>system\\n` ...)."""

_PIECES = re.compile(r"[A-Za-z]{1,6}|\d|\s*\n|[^\sA-Za-z\d]")


def estimate_tokens(text: str) -> int:
    """Letters in runs of up to six, every digit, every other non-space character, every line."""
    return len(_PIECES.findall(text))


def budget(max_output_tokens: int, context_tokens: int = DEFAULT_CONTEXT_TOKENS) -> int:
    """Prompt tokens left in a context window once the answer has its room."""
    return context_tokens - max_output_tokens - TEMPLATE_OVERHEAD


@dataclass(frozen=True, slots=True)
class Trim:
    """A list in the context that may be shortened: `key` is a dotted path (`host.top_cpu`)."""

    key: str
    keep: int = 0
    drop_from: Literal["start", "end", "middle"] = "end"


TRIMS: Mapping[str, tuple[Trim, ...]] = {
    "analyze.j2": (
        Trim("samples.rows", keep=3, drop_from="start"),
        Trim("similar"),
        Trim("host.top_memory", keep=1),
        Trim("host.top_cpu", keep=1),
        Trim("host.disks", keep=1),
        Trim("evidence", keep=4, drop_from="start"),
    ),
    "plan.j2": (
        Trim("latest.rows", keep=1, drop_from="start"),
        Trim("recent_actions", keep=1),
        Trim("runbooks"),
        Trim("recent_actions"),
        Trim("analysis.anomalies"),
        Trim("evidence", keep=4, drop_from="start"),
    ),
    "explain.j2": (Trim("decisions"), Trim("timeline", keep=4, drop_from="middle")),
}
"""Per template, in the order they are applied (first = least needed)."""

Counter = Callable[[str], int]


def count_tokens(rendered: Rendered, count: Counter = estimate_tokens) -> int:
    return sum(count(m.content) + PER_MESSAGE for m in rendered.messages) + TEMPLATE_OVERHEAD


def render_fitted(
    prompts: Prompts,
    name: str,
    context: Mapping[str, Any],
    budget_tokens: int,
    trims: Sequence[Trim] | None = None,
    count: Counter = estimate_tokens,
) -> Rendered:
    """Render within `budget_tokens`, trimming `trims` (default: TRIMS[name]) in order, each
    only as far as needed (the most items that fit are kept)."""
    work = copy.deepcopy(dict(context))
    rendered = prompts.render(name, work)
    if count_tokens(rendered, count) <= budget_tokens:
        return rendered
    notes: list[str] = []
    for trim in TRIMS.get(name, ()) if trims is None else trims:
        items = _list_at(work, trim.key)
        if items is None or len(items) <= trim.keep:
            continue
        full = list(items)

        def fits(n: int, trim: Trim = trim, full: list[Any] = full) -> Rendered | None:
            _set_at(work, trim.key, _shorten(full, n, trim.drop_from))
            attempt = prompts.render(name, work)
            return attempt if count_tokens(attempt, count) <= budget_tokens else None

        best = _largest_fitting(trim.keep, len(full) - 1, fits)
        kept = best[0] if best else trim.keep
        _set_at(work, trim.key, _shorten(full, kept, trim.drop_from))
        notes.append(f"{trim.key} -{len(full) - kept}")
        if best:
            return Rendered(best[1].messages, best[1].template, best[1].version, tuple(notes))
    smallest = prompts.render(name, work)
    raise PromptTooLarge(name, count_tokens(smallest, count), budget_tokens)


def _largest_fitting(
    low: int, high: int, fits: Callable[[int], Rendered | None]
) -> tuple[int, Rendered] | None:
    """Binary search for the largest n in [low, high] that fits (fitting is monotonic in n)."""
    best = None
    while low <= high:
        middle = (low + high) // 2
        rendered = fits(middle)
        if rendered is None:
            high = middle - 1
        else:
            best, low = (middle, rendered), middle + 1
    return best


def _shorten(items: list[Any], n: int, drop_from: str) -> list[Any]:
    if n >= len(items):
        return list(items)
    if drop_from == "start":
        return items[len(items) - n :]
    if drop_from == "end":
        return items[:n]
    head = (n + 1) // 2
    return items[:head] + items[len(items) - (n - head) :]


def _list_at(context: dict[str, Any], key: str) -> list[Any] | None:
    node: Any = context
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is not None and not isinstance(node, list):
        raise PromptError(f"trim {key!r}: not a list in the context")
    return node


def _set_at(context: dict[str, Any], key: str, value: list[Any]) -> None:
    *parents, last = key.split(".")
    node = context
    for part in parents:
        node = node[part]
    node[last] = value
