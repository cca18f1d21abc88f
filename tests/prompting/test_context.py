"""The context builders: compact views of what happened, candidates only from the caller."""

from __future__ import annotations

from dataclasses import replace

from mapekd.model import Sample
from mapekd.prompting import CandidateView, plan_context
from mapekd.prompting.views import sample_table, timeline_view
from tests.prompting.conftest import NOW, World


def test_sample_table_has_one_header_and_leaves_out_empty_columns() -> None:
    samples = [
        Sample(
            "web", "process:web", {"ok": True, "error": None, "cpu_percent": 12.345, "pid": 7}, ts=NOW - 20
        ),
        Sample("web", "process:web", {"ok": False, "error": None, "detail": "", "pid": None}, ts=NOW),
    ]
    assert sample_table(samples, NOW) == {
        "columns": ["t", "ok", "cpu_percent", "pid"],
        "rows": [[-20, True, 12.3, 7], [0, False, None, None]],
    }


def test_plan_context_marks_actions_of_this_incident_and_keeps_the_callers_candidates(world: World) -> None:
    s = world.situation
    recent = [
        {
            "action": "restart_web",
            "source": "llm",
            "state": "failed",
            "result": None,
            "incident_id": s.incident_id,
            "started_at": s.samples[-1].ts - 5,
            "kind": "remedy",
        },
        {
            "action": "restart_web",
            "source": "rule",
            "state": "succeeded",
            "result": "resolved",
            "incident_id": 1,
            "started_at": s.samples[-1].ts - 7200,
            "kind": "remedy",
        },
    ]
    extra = CandidateView("clean_tmp", "command", "rm old files in /tmp", "disk:/", "medium", 0, 0)
    context = plan_context(s, None, [*world.candidates, extra], recent, [])
    assert context["recent_actions"] == [
        {"action": "restart_web", "source": "llm", "result": "failed", "ago": "5s", "this_incident": True},
        {"action": "restart_web", "source": "rule", "result": "resolved", "ago": "2h"},
    ]
    assert context["choices"] == ["restart_web", "kill_web", "clean_tmp", "none", "escalate"]
    assert context["candidates"][2] == {
        "name": "clean_tmp",
        "kind": "command",
        "does": "rm old files in /tmp",
        "target": "disk:/",
        "risk": "medium",
        "record": "not tried yet",
        "cause_record": "not tried yet",
    }
    no_history = plan_context(replace(s, samples=[]), None, [], [], [])
    assert no_history["latest"] == {"columns": [], "rows": []}


def test_a_run_of_the_same_symptom_is_one_timeline_line() -> None:
    events = [
        {"kind": "symptom", "ts": NOW + i, "severity": "critical", "message": "web is down"} for i in range(5)
    ] + [{"kind": "outcome", "ts": NOW + 9, "result": "resolved", "detail": ""}]
    assert timeline_view(events, NOW) == [
        {"t": 0, "kind": "symptom", "severity": "critical", "message": "web is down", "repeats": 5},
        {"t": 9, "kind": "outcome", "result": "resolved"},
    ]


def test_the_cause_class_read_from_the_evidence_is_shown_with_the_ids_it_rests_on(world: World) -> None:
    s = world.situation
    assert "cause_class" not in plan_context(s, None, world.candidates, [], [])["incident"]
    classified = replace(s, cause_class="dependency", cause_cited=(1, 0))
    incident = plan_context(classified, None, world.candidates, [], [])["incident"]
    assert (incident["cause_class"], incident["cause_evidence"]) == ("dependency", ["e2", "e1"])
