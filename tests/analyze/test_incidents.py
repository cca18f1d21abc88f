"""One active incident per signature; resolved when the rule clears."""

from __future__ import annotations

from pathlib import Path

from mapekd.analyze.incidents import IncidentTracker
from mapekd.analyze.rules.base import RuleResult
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.config.rules import ThresholdRuleConfig
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


def test_dedupes_by_signature_and_resolves_on_clear(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    tracker = IncidentTracker(store)
    rule = ThresholdRule(ThresholdRuleConfig(name="down", check="web", when="ok == false"))
    symptom = Symptom("down", "p:a", "critical", "down", {"ok": False}, ts=100.0)

    first = tracker.update(rule, RuleResult(firing=[symptom]), 100.0)
    again = tracker.update(rule, RuleResult(firing=[symptom]), 101.0)
    assert [i.id for i in first] == [i.id for i in again]
    assert len(store.incidents()) == 1

    assert tracker.update(rule, RuleResult(clear={"p:a"}), 102.0) == []
    row = store.incident(first[0].id)
    assert row is not None and row["status"] == "resolved" and row["resolved_at"] == 102.0

    reopened = tracker.update(rule, RuleResult(firing=[symptom]), 103.0)
    assert reopened[0].id != first[0].id
    store.close()


def test_an_incident_left_open_by_a_previous_run_resolves_when_its_rule_clears(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    rule = ThresholdRule(ThresholdRuleConfig(name="down", check="web", when="ok == false"))
    symptom = Symptom("down", "p:a", "critical", "down", {"ok": False}, ts=100.0)
    [opened] = IncidentTracker(store).update(rule, RuleResult(firing=[symptom]), 100.0)

    IncidentTracker(store).update(rule, RuleResult(clear={"p:a"}), 101.0)  # after a restart

    row = store.incident(opened.id)
    assert row is not None and row["status"] == "resolved"
    store.close()


def test_healthy_targets_cost_no_query(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    tracker = IncidentTracker(store)
    rule = ThresholdRule(ThresholdRuleConfig(name="down", check="web", when="ok == false"))
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)

    for now in range(100, 110):
        tracker.update(rule, RuleResult(clear={"p:a", "p:b"}), float(now))

    store.conn.set_trace_callback(None)
    assert statements == []
    store.close()


def test_may_have_active_is_false_only_when_nothing_is_open(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    tracker = IncidentTracker(store)
    rule = ThresholdRule(ThresholdRuleConfig(name="down", check="web", when="ok == false"))
    symptom = Symptom("down", "p:a", "critical", "down", {"ok": False}, ts=100.0)
    assert not tracker.may_have_active

    tracker.update(rule, RuleResult(firing=[symptom]), 100.0)
    assert tracker.may_have_active and IncidentTracker(store).may_have_active

    tracker.update(rule, RuleResult(clear={"p:a"}), 101.0)
    assert not tracker.may_have_active and store.active_incidents() == []
    store.close()
