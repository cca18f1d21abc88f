"""A scenario judged at its end, read from a real knowledge base: an escalation counts only when
none of the rule's incidents was called resolved meanwhile (a restart that held for one sample)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mapekd.evaluation.harness import Run
from mapekd.evaluation.score import end_choice, repeated_analyses
from mapekd.evaluation.world import World
from mapekd.knowledge.store import SqliteStore

T0 = 1_000_000.0


def incident(store: SqliteStore, pk: int, status: str, verdict: str, action: str | None) -> None:
    store.db["incidents"].insert(
        {"id": pk, "signature": f"web_unhealthy@{pk}", "rule": "web_unhealthy", "target": "web"}
        | {"severity": "warning", "status": status, "opened_at": T0 + pk, "updated_at": T0 + pk}
        | ({"resolved_at": T0 + pk + 1} if status == "resolved" else {})
    )
    store.db["decisions"].insert(
        {
            "incident_id": pk,
            "ts": T0 + pk,
            "verdict": verdict,
            "action": action,
            "target": "web",
            "source": "rule",
        }
    )


@pytest.fixture
def run(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "kb.db")
    yield Run(World(tmp_path / "w", "mapekd-eval-test"), store, engine=None, injected_at=T0)  # type: ignore[arg-type]
    store.close()


def test_escalated_with_none_resolved_is_an_escalation(run: Run) -> None:
    incident(run.store, 1, "open", "execute", "restart_web")
    incident(run.store, 2, "gave_up", "gave_up", None)
    assert end_choice(run, "web_unhealthy", "restart_web") == "escalate"


def test_a_resolution_that_did_not_hold_is_not_an_escalation(run: Run) -> None:
    incident(run.store, 1, "resolved", "execute", "restart_web")
    incident(run.store, 2, "gave_up", "gave_up", None)
    assert end_choice(run, "web_unhealthy", "restart_web") == "restart_web"


def test_never_escalated_is_what_was_chosen_first(run: Run) -> None:
    incident(run.store, 1, "open", "execute", "restart_web")
    assert end_choice(run, "web_unhealthy", "restart_web") == "restart_web"


def test_an_analysis_asked_again_for_a_known_fingerprint_is_counted(run: Run) -> None:
    for pk, fingerprint in ((1, "refused :5432"), (2, "refused :5432"), (3, "deadlock")):
        incident(run.store, pk, "resolved", "execute", "start_db")
        run.store.db["incidents"].update(pk, {"fingerprint": fingerprint})
        call = {"ts": T0 + pk, "incident_id": pk, "kind": "chat", "provider": "local", "model": "m"}
        run.store.db["llm_calls"].insert(call | {"prompt_template": "analyze.j2"})
    assert repeated_analyses(run) == 1
    run.injected_at = T0 + 2.5  # only the analysis of a new fingerprint since
    assert repeated_analyses(run) == 0


def test_a_resolution_whose_outcome_relapsed_did_not_hold_and_the_escalation_counts(run: Run) -> None:
    incident(run.store, 1, "resolved", "execute", "restart_web")
    incident(run.store, 2, "gave_up", "gave_up", None)
    decision = run.store.db.execute("SELECT id FROM decisions WHERE incident_id = 1").fetchone()[0]
    run.store.db["executions"].insert(
        {"id": 1, "decision_id": decision, "incident_id": 1, "action": "restart_web", "target": "web"}
        | {"state": "succeeded", "started_at": T0 + 1}
    )
    run.store.db["outcomes"].insert(
        {"execution_id": 1, "incident_id": 1, "ts": T0 + 20, "result": "relapsed"}
    )
    assert end_choice(run, "web_unhealthy", "restart_web") == "escalate"


def test_the_scored_decision_is_the_one_on_the_fault_not_a_part_of_another_story(run: Run) -> None:
    """Seen in the evaluation: the runaway job's second incident was recorded as part of the
    first (no_action) before the first's slower decision; the first's decision is the one scored."""
    incident(run.store, 1, "open", "execute", "term_job")
    incident(run.store, 2, "open", "no_action", None)
    run.store.db["decisions"].update(1, {"ts": T0 + 5})  # the lead decided after the follower
    run.store.db.execute("UPDATE decisions SET source = 'policy' WHERE incident_id = 2")
    run.store.db.execute("UPDATE decisions SET id = 9 WHERE incident_id = 1")
    scored = run.scored_decision("web_unhealthy")
    assert scored is not None and scored["action"] == "term_job"
