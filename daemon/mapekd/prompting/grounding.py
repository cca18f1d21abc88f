"""Is an analysis grounded in what was observed? What a person reads must not be invented.

An analysis is grounded when it cites something and everything it cites is there:
- every evidence id it names (`e3`, in the structured `evidence` list or anywhere in prose)
  is one of the incident's evidence items;
- every number in its prose is a number of the observed data (the evidence, the samples, the
  incident, the host), or that number rounded to the digits written (93 for 93.4, 0.5 for 0.48);
  a dotted run (`3.5.3`, `127.0.0.1`) is a version or an address and must appear as written;
- every quoted fragment ("...", `...`, curly quotes) appears in the observed text (case and
  runs of whitespace aside);
- prose cites at least one of these, and a structured cause other than `unknown` cites at least
  one evidence item when there is any: a claim resting on nothing is not verified either
  (measured: the embedded SmolLM2 wrote "malware bypassed the security of the system" citing
  nothing, and answered `crash` citing no evidence for a hang, a dead database and an OOM kill).
Otherwise it is ungrounded, with what was not found: it is recorded and shown as "ungrounded,
not verified", never as fact. Numbers glued to letters (`e3`, `sda1`, `IPv4`) are names, not
values. The check is deliberately literal: a correct inference (48000000 bytes as "48 MB") is
ungrounded too; it is a claim no one verified, and is shown as such."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mapekd.prompting.output import ProseAnalysis
from mapekd.prompting.structured import Analysis

_ID = re.compile(r"(?<![\w-])e\d+(?![\w-])")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)*")
NOTHING_CITED = "nothing cited"
_QUOTED = re.compile(r"\"([^\"]{3,200})\"|`([^`]{3,200})`|\u201c([^\u201d]{3,200})\u201d")


@dataclass(frozen=True, slots=True)
class Grounding:
    grounded: bool
    unsupported: tuple[str, ...] = ()
    """What it cites that the observed data does not hold (at most a few, for the record)."""


def ground(analysis: Analysis, evidence_ids: Collection[str], observed: Any) -> Grounding:
    """`observed`: the data the model was shown (JSON-like: dicts, lists, text, numbers)."""
    texts = list(_strings(observed))
    if isinstance(analysis, ProseAnalysis):
        prose = " ".join(_prose(analysis))
        ids = _ID.findall(prose)
        numbers = _NUMBER.findall(_ID.sub(" ", prose))
        quotes = _quotes(prose)
        missing = [i for i in dict.fromkeys(ids) if i not in evidence_ids]
        missing += _missing_numbers(numbers, texts) + _missing_quotes(quotes, texts)
        cited = bool(ids or numbers or quotes)
    else:
        missing = [i for i in dict.fromkeys(analysis.evidence) if i not in evidence_ids]
        cited = bool(analysis.evidence) or analysis.cause == "unknown" or not evidence_ids
    if not cited:
        missing.append(NOTHING_CITED)
    return Grounding(not missing, tuple(missing[:5]))


def _prose(analysis: ProseAnalysis) -> Iterator[str]:
    yield analysis.summary
    yield analysis.suspected_cause
    for anomaly in analysis.anomalies:
        yield anomaly.name
        yield anomaly.evidence


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _missing_numbers(numbers: list[str], texts: list[str]) -> list[str]:
    found = [n for text in texts for n in _NUMBER.findall(text)]
    known = {float(n) for n in found if n.count(".") <= 1}
    dotted = {n for n in found if n.count(".") > 1}
    missing = []
    for cited in dict.fromkeys(numbers):
        dotted_run = cited.count(".") > 1
        if not (cited in dotted if dotted_run else any(_rounds_to(value, cited) for value in known)):
            missing.append(cited)
    return missing


def _rounds_to(value: float, cited: str) -> bool:
    """`cited` is `value` written with the digits `cited` has (and never a sign away)."""
    decimals = len(cited.partition(".")[2])
    return math.isclose(value, float(cited)) or abs(value - float(cited)) <= 0.5 * 10**-decimals + 1e-9


def _quotes(prose: str) -> list[str]:
    return [next(g for g in match.groups() if g is not None) for match in _QUOTED.finditer(prose)]


def _missing_quotes(quotes: list[str], texts: list[str]) -> list[str]:
    haystack = _plain(" ".join(texts))
    return [f'"{q}"' for q in dict.fromkeys(quotes) if _plain(q) not in haystack]


def _plain(text: str) -> str:
    return " ".join(text.lower().split())
