"""The cause fingerprint: an incident's evidence reduced to what stays the same from one
occurrence of a cause to the next.

Each line becomes a template: what varies between occurrences is masked, in this order:

    timestamps (ISO 8601, syslog `Dec  6 05:40:41`, bracketed epoch)  -> <time>
    UUIDs                                                              -> <uuid>
    IPv4 / IPv6 addresses, with a port if any                          -> <ip> / <ip>:<port>
    file paths (two or more `/` segments)                              -> <path>
    quoted strings ('...' or "...")                                    -> <str>
    hex ids (0x..., or 8+ hex digits with a digit and a letter)        -> <hex>
    numbers, alone or before a short unit (`12ms`)                     -> <num>

A `verdict`, `exit` or `http` line keeps the number of a status or a signal (`status 1`,
`signal 9`, `ExecMainStatus=137`, `status 503`): there the number is the cause; its pid, restart
count and latency are masked like any number.

The most telling templates are kept: those of how the process ended (`verdict`, `exit`,
`kernel`) first, then lines with an error-ish word, then by frequency; only when no line is
telling do the most frequent plain lines stand for the cause. The fingerprint is a short hash of
the signature and the kept templates, sorted: the same cause of the same alert gives the same
fingerprint whatever order its lines came in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from mapekd.evidence.base import EvidenceItem

TOP_TEMPLATES = 3
"""Templates a fingerprint is made of: enough to tell causes apart, few enough that a stray
line does not make every occurrence a new cause."""
ENDINGS = frozenset({"verdict", "exit", "kernel"})
"""Kinds of evidence that say how the process ended: the most telling of all."""
# Error-ish: every word the cause classifier (evidence/classify.py) relies on is here too, so
# that two causes the classifier tells apart also get distinct fingerprints.
_ERRORISH = re.compile(
    r"\b(?:error|err|fail(?:ed|ure|s)?|fatal|panic|critical|crit|emerg|alert|refused|denied|"
    r"killed|kill|oom|out of memory|timeout|timed out|exception|traceback|segfault|"
    r"segmentation|abort(?:ed)?|unable|cannot|can't|could not|no such|unreachable|reset|"
    r"broken|invalid|corrupt(?:ed)?|exited|dumped|signal|deadlock(?:ed)?|stall(?:ed|s)?|blocked|hung|"
    r"stuck|not responding|exhausted|unavailable|econnrefused|eio|syntax|emfile|enospc)\b",
    re.I,
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, flags), mask)
    for pattern, flags, mask in (
        (
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            0,
            "<time>",
        ),
        (rf"\b(?:{_MONTHS})\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?", 0, "<time>"),
        (r"\[\s*\d+\.\d+\]", 0, "<time>"),  # the kernel's [12345.678901]
        (r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b", 0, "<time>"),
        (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I, "<uuid>"),
        (r"\[[0-9a-f:]*:[0-9a-f:]*\](?::\d+)?", re.I, "<ip>:<port>"),  # [::1]:5432
        (r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}\b", 0, "<ip>:<port>"),
        (r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}\b", 0, "<ip>"),
        (r"(?<![\w:])(?=[0-9a-f:]*\d)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", re.I, "<ip>"),
        (r"(?<![\w<])(?:\.{0,2}/[\w.@+-]+){2,}/?", 0, "<path>"),
        (r"\"[^\"\n]{0,512}\"|'[^'\n]{0,512}'", 0, "<str>"),
        (r"\b0x[0-9a-f]+\b", re.I, "<hex>"),
        (r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I, "<hex>"),
    )
)
_NUMBER = re.compile(r"(?<![\w<])[-+]?\d+(?:\.\d+)?(?=[a-z]{0,3}(?![\w>]))", re.I)
"""A number standing alone, or before a unit of up to three letters (`12ms`, `512kB`)."""
_NOT_A_STATUS = r"(?<!status )(?<!status=)(?<!Status=)(?<!signal )"
_OTHER_NUMBER = re.compile(_NOT_A_STATUS + _NUMBER.pattern, re.I)
"""In a `verdict`, `exit` or `http` line: any number but a status or a signal."""
_STATUS_KINDS = frozenset({"verdict", "exit", "http"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    value: str
    templates: tuple[str, ...]
    """The templates it was made of, most telling first."""


def template(text: str, kind: str = "log") -> str:
    """One line with what varies between occurrences masked (see the module's table)."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    numbers = _OTHER_NUMBER if kind in _STATUS_KINDS else _NUMBER
    text = numbers.sub("<num>", text)
    return _SPACES.sub(" ", text).strip()


def telling(kind: str, template_text: str) -> int:
    """How much a line says about the cause: 2 how it ended, 1 an error-ish line, 0 neither."""
    if kind in ENDINGS:
        return 2
    return 1 if _ERRORISH.search(template_text) else 0


def choose(items: Iterable[tuple[str, str]], top: int = TOP_TEMPLATES) -> tuple[str, ...]:
    """The most telling of (kind, template) pairs, deduplicated: telling first, then frequent,
    then by text (so the choice never depends on the order lines came in)."""
    counts: Counter[str] = Counter()
    weight: dict[str, int] = {}
    for kind, text in items:
        if not text:
            continue
        counts[text] += 1
        weight[text] = max(weight.get(text, 0), telling(kind, text))
    ranked = sorted(counts, key=lambda t: (-weight[t], -counts[t], t))
    if ranked and weight[ranked[0]] > 0:
        ranked = [t for t in ranked if weight[t] > 0]
    return tuple(ranked[:top])


def fingerprint(signature: str, evidence: Iterable[EvidenceItem]) -> tuple[Fingerprint | None, list[str]]:
    """The fingerprint of this evidence (None when there is none) and each item's template."""
    items = list(evidence)
    templates = [template(item.text, item.kind) for item in items]
    chosen = choose(zip((item.kind for item in items), templates, strict=True))
    if not chosen:
        return None, templates
    digest = hashlib.sha256("\n".join([signature, *sorted(chosen)]).encode()).hexdigest()[:16]
    return Fingerprint(digest, chosen), templates
