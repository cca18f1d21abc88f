"""The figures of one source: the held-out episodes are scored per cause from its second
occurrence on, and kept out of the right-first over the fault scenarios."""

from __future__ import annotations

from typing import Any

from mapekd.evaluation.summary import from_second_occurrence, summarize


def run(scenario: str, correct: bool, occurrence: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "expected": "kill_web" if scenario == "hang" else "start_db",
        "correct": correct,
        "occurrence": occurrence,
        "actions": [],
        "mitigated": correct,
        "ttm_s": 1.0 if correct else None,
        "scored_source": "knowledge",
        "decisions": [],
        "llm_calls": {},
        "incidents": 1,
        **extra,
    }


def test_each_cause_is_scored_from_its_second_occurrence_on() -> None:
    episodes = [
        run("hang", False, 1),
        run("dependency_down", False, 1),
        run("hang", True, 2),
        run("dependency_down", False, 2),
        run("hang", True, 3),
        run("dependency_down", True, 3),
    ]
    assert from_second_occurrence(episodes) == {"dependency_down": 0.5, "hang": 1.0}
    assert from_second_occurrence([run("hang", True)]) is None


def test_episodes_stay_out_of_right_first_and_skipped_runs_out_of_everything() -> None:
    runs = [
        run("hang", True),
        run("hang", False, 1),
        run("hang", False, 2),
        {"scenario": "oom", "skipped": "x"},
    ]
    figures = summarize(runs)
    assert figures["runs"] == 3
    assert figures["correct_rate"] == 1.0
    assert figures["right_from_second_occurrence"] == {"hang": 0.0}
    assert figures["right_by_scenario"] == {"hang": "1/1"}


def test_model_cpu_is_per_incident_and_unknown_without_a_model() -> None:
    with_model = [run("hang", True, model_cpu_s=3.0, incidents=2), run("hang", True, model_cpu_s=1.0)]
    assert summarize(with_model)["model_cpu_s_per_incident"] == round(4.0 / 3, 3)
    assert summarize([run("hang", True, model_cpu_s=None)])["model_cpu_s_per_incident"] is None
