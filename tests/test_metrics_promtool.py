"""The daemon's exposition and the shipped alert rules, checked by the real promtool."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.monitor.prometheus_server import binary
from tests.test_metrics import populated_registry

RULES_DIR = Path(__file__).resolve().parents[1] / "config" / "prometheus"
PROMQL_WORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"})
FROM_PROMETHEUS = frozenset({"up"})
"""Series Prometheus itself writes for every scrape target."""


def promtool(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args], input=stdin.decode(), capture_output=True, text=True, cwd=cwd, timeout=60
    )


def exposed_names() -> set[str]:
    """Every series name the daemon's registry exposes (with _bucket, _sum, _count, _total)."""
    text = generate_latest(populated_registry()).decode()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers left once strings, label matchers,
    ranges and grouping clauses are removed, that are not functions or operators."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()", expr))
    return names - PROMQL_WORDS


def rule_exprs() -> list[str]:
    rules = yaml.safe_load((RULES_DIR / "mapekd-rules.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_exposition_with_every_metric_populated_passes_promtool() -> None:
    exposition = generate_latest(populated_registry())
    assert b"llm_budget_daily_limit" in exposition and b"mapekd_time_to_mitigate_seconds_bucket" in exposition

    result = promtool("check", "metrics", stdin=exposition)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == "", "promtool printed lint findings"


def test_promtool_does_flag_a_badly_named_metric() -> None:
    result = promtool(
        "check", "metrics", stdin=b"# HELP jobs_total Jobs\n# TYPE jobs_total gauge\njobs_total 3\n"
    )

    assert result.returncode != 0 and "_total" in result.stdout + result.stderr


def test_the_alert_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES_DIR / "mapekd-rules.yml"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_the_alert_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", "mapekd-rules.test.yml", cwd=RULES_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_unit_test() -> None:
    rules = yaml.safe_load((RULES_DIR / "mapekd-rules.yml").read_text())
    tests = yaml.safe_load((RULES_DIR / "mapekd-rules.test.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tested = {
        case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"] if case["exp_alerts"]
    }

    assert tested == alerts


def test_the_rules_read_only_metrics_the_daemon_exposes() -> None:
    exposed = exposed_names() | FROM_PROMETHEUS
    for expr in rule_exprs():
        assert metric_names(expr), f"no metric found in {expr!r}"
        assert metric_names(expr) <= exposed, expr


def test_metric_names_are_found_in_expressions() -> None:
    expr = 'sum by (le, rule) (rate(a_bucket{x="y{"}[5m])) / on(job) group_left b and time() - c > 0.8'

    assert metric_names(expr) == {"a_bucket", "b", "c"}
