"""Rule conditions: a whitelisted syntax tree, evaluated without eval()."""

from __future__ import annotations

from typing import Any

import pytest

from mapekd.analyze.expr import compile_expression
from mapekd.errors import RuleError

TRUTH_TABLE: list[tuple[str, dict[str, Any], bool]] = [
    ("alive == false", {"alive": False}, True),
    ("alive == false", {"alive": True}, False),
    ("cpu_percent > 90", {"cpu_percent": 95.5}, True),
    ("cpu_percent > 90", {"cpu_percent": None}, False),
    ("cpu_percent > 90", {}, False),
    ("status != 200", {"status": None}, True),
    ("status == null", {}, True),
    ("rss_bytes / 1048576 > 500", {"rss_bytes": 600 * 1048576}, True),
    ("rss_bytes / 0 > 1", {"rss_bytes": 5}, False),
    ("not ok", {"ok": False}, True),
    ("ok == false and (status >= 500 or latency_ms > 200)", {"ok": False, "status": 503}, True),
    ("ok == false and (status >= 500 or latency_ms > 200)", {"ok": False, "status": 404}, False),
    ("active_state == 'failed'", {"active_state": "failed"}, True),
    ("active_state > 5", {"active_state": "failed"}, False),
    ("0 < load1 < 4", {"load1": 2.0}, True),
    ("0 < load1 < 4", {"load1": 5.0}, False),
    ("-free_bytes < -100", {"free_bytes": 1000}, True),
]


@pytest.mark.parametrize(("source", "fields", "expected"), TRUTH_TABLE)
def test_evaluates(source: str, fields: dict[str, Any], expected: bool) -> None:
    assert compile_expression(source).evaluate(fields) is expected


def test_reports_the_fields_it_reads() -> None:
    expr = compile_expression("ok == false and latency_ms > 200 or null == status")
    assert expr.fields == {"ok", "latency_ms", "status"}


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('id')",
        "ok.__class__",
        "fields['ok']",
        "[1, 2]",
        "lambda: 1",
        "ok if ok else ok",
        "x ** 1000000",
        "a in b",
        "a is None",
        "(x := 1)",
        "ok ==",
        "b'bytes' == x",
        "x" * 600,
    ],
)
def test_rejects_anything_outside_the_grammar(source: str) -> None:
    with pytest.raises(RuleError):
        compile_expression(source)
