"""The offline provider's files: prepared answers and embeddings (`.json`: JSON, else YAML).

answers file, either a list of answers or a mapping:

    default: "No LLM is reachable; the rule's default remedy applies."
    answers:
      - match: "disk full"                 # case-insensitive substring of the last user message
        answer: '{"action": "noop"}'
      - regex: "(?i)web.*down"             # or a regular expression (re.search)
        answer: '{"action": "restart"}'
      - match: "hang"                      # rank(): these log-likelihoods (options not
        scores: {kill: -0.5, restart: -3}  #   listed get -30); without scores, an answer
                                           #   naming an option ranks it first (see rank)
      - match: "chaos"                     # scripted faults, for drills and tests:
        error: rate_limited                #   rate_limited | overloaded | server_error |
        retry_after: 3                     #   unavailable | timeout | malformed | auth
      - match: "slow"
        delay: 2s                          # answer late (the total timeout applies)
        interrupt_after: 2                 # stream 2 chunks, then fail with StreamInterrupted
        answer: "a long answer"

An entry with neither `match` nor `regex` matches everything. embeddings file: `{text: [floats]}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from mapekd.config.base import StrictModel
from mapekd.config.durations import Duration
from mapekd.errors import ConfigError

Fault = Literal[
    "rate_limited",
    "overloaded",
    "server_error",
    "unavailable",
    "timeout",
    "malformed",
    "auth",
]


_EMB = "embeddings_path"


class OfflineAnswer(StrictModel):
    answer: str = ""
    match: str | None = None
    regex: str | None = None
    error: Fault | None = None
    retry_after: float | None = Field(default=None, ge=0)
    delay: Duration = 0.0
    interrupt_after: int | None = Field(default=None, ge=0)
    scores: dict[str, float] | None = None
    """For rank(): the log-likelihood of each option (<= 0)."""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from exc
        return value

    def matches(self, text: str) -> bool:
        if self.match is not None and self.match.lower() not in text.lower():
            return False
        return self.regex is None or re.search(self.regex, text) is not None


class OfflineAnswers(StrictModel):
    answers: list[OfflineAnswer] = Field(default_factory=list)
    default: str | None = None


def load_answers(path: str) -> OfflineAnswers:
    raw = _read(path, "answers_path")
    if isinstance(raw, list):
        raw = {"answers": raw}
    try:
        return OfflineAnswers.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc.errors()[0]['msg']}", path="answers_path") from exc


def load_embeddings(path: str) -> dict[str, tuple[float, ...]]:
    raw = _read(path, _EMB)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: a mapping of text to vector is expected", path=_EMB)
    try:
        vectors = {str(text): tuple(float(x) for x in vector) for text, vector in raw.items()}
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: vectors must be lists of numbers", path=_EMB) from exc
    if len({len(v) for v in vectors.values()}) > 1:
        raise ConfigError(f"{path}: vectors differ in length", path=_EMB)
    return vectors


def _read(path: str, key: str) -> Any:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", path=key) from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid JSON/YAML", path=key) from exc
