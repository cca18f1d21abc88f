"""From the answers of Prometheus' query API to samples: one per label set, its target named after
the labels (see monitor/promql.py for the shape)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from mapekd.errors import CheckError
from mapekd.model import FieldValue, Sample

Labels = tuple[tuple[str, str], ...]
"""A series' labels without `__name__`, sorted."""

MAX_LABEL_CHARS = 160
"""Longer label sets are cut and get a hash, so a target stays a bounded, valid parameter."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:=+-]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]")
"""Prometheus' own alphabet of label names: a hostile server's `a=b` or `../x` is not one."""


def parse_answer(status: int, body: bytes) -> list[tuple[Labels, float]]:
    """The series of one instant-query answer. Raises CheckError with Prometheus' own errorType and
    message for an error answer, and for anything that is not a vector or scalar result."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise CheckError(f"not a Prometheus API answer (HTTP {status})") from None
    if isinstance(answer, dict) and answer.get("status") == "error":
        raise CheckError(f"{answer.get('errorType', 'error')}: {answer.get('error', '')}")
    if status >= 300 or not isinstance(answer, dict) or answer.get("status") != "success":
        raise CheckError(f"not a Prometheus API answer (HTTP {status})")
    try:
        return _series(answer["data"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CheckError(f"malformed query result: {type(exc).__name__}: {exc}") from None


def _series(data: dict[str, Any]) -> list[tuple[Labels, float]]:
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return [((), float(result[1]))]
    if kind != "vector":
        raise CheckError(f"the query gives a {kind}, not an instant vector or scalar")
    return [(_labels(item["metric"]), float(item["value"][1])) for item in result]


def _labels(metric: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in metric.items() if k != "__name__"))


def target_of(check: str, labels: Labels) -> str:
    """`promql:<check>/<label>=<value>/...`; characters outside [A-Za-z0-9_] in names and outside
    [A-Za-z0-9_.:=+-] in values become `_`, as does each dot of a `..` between `:`; a cut or changed
    label set gets `+<hash of the labels>` so targets stay distinct."""
    readable = "/".join(
        f"{_UNSAFE_NAME.sub('_', name)}={undotted(_UNSAFE.sub('_', value))}" for name, value in labels
    )
    exact = readable == "/".join(f"{name}={value}" for name, value in labels)
    if exact and len(readable) <= MAX_LABEL_CHARS:
        return f"promql:{check}/{readable}"
    digest = hashlib.sha256(json.dumps(labels).encode()).hexdigest()[:10]
    return f"promql:{check}/{readable[:MAX_LABEL_CHARS]}+{digest}"


def undotted(text: str) -> str:
    """`text` (already without `/`) with each part between `:` made only of dots turned into
    underscores: no `..` segment in a target (see execute/params.py)."""
    return ":".join("_" * len(part) if part and not part.strip(".") else part for part in text.split(":"))


def to_samples(
    check: str, answers: Sequence[tuple[str, int, bytes]], *, max_series: int, query_ms: float
) -> list[Sample]:
    """`answers`: (field, HTTP status, body) per query. The check's own sample comes first, then one
    per label set, sorted by target. Raises CheckError naming the query that failed."""
    own: dict[str, FieldValue] = {"ok": True, "error": None, "query_ms": query_ms}
    fields = [field for field, _, _ in answers]
    by_target: dict[str, dict[str, FieldValue]] = {}
    for field, status, body in answers:
        try:
            series = _checked(parse_answer(status, body), max_series)
        except CheckError as exc:
            raise CheckError(f"query {field}: {exc}") from None
        own[field] = None
        own[f"{field}_series"] = len(series)
        for labels, value in series:
            if labels:
                by_target.setdefault(target_of(check, labels), {})[field] = value
            else:  # scalar(...), count(...): a value about the whole check
                own[field] = value
    samples = [Sample(check, f"promql:{check}", own)]
    for target in sorted(by_target):
        values = by_target[target]
        samples.append(
            Sample(check, target, {"ok": True, "error": None, **{f: values.get(f) for f in fields}})
        )
    return samples


def _checked(series: list[tuple[Labels, float]], max_series: int) -> list[tuple[Labels, float]]:
    if len(series) > max_series:
        raise CheckError(f"{len(series)} series, more than max_series ({max_series}); narrow the query")
    if len({labels for labels, _ in series}) < len(series):
        raise CheckError("several series differ only in their metric name; aggregate or select by name")
    return series
