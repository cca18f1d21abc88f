"""The analysis limiter: one analysis per incident kind within the reuse window (a repeat reuses
it), at most `analysis_per_hour` asked in any hour, the rest skipped and logged; through the real
planner, gateway and an offline provider scripted with a valid analysis, on a real SQLite file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.config.loader import load_settings
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.analysis_limit import AnalysisLimiter
from mapekd.plan.llm_plan import LLMPlanner
from mapekd.prompting import Analysis
from mapekd.reasoning import Reasoning
from mapekd.situation import Situation
from tests.plan.loop import base_config

ANSWER = {
    "summary": "The service died and was restarted.",
    "anomalies": [],
    "suspected_cause": 'The process exited: the check says "down".',  # cites what it saw
    "confidence": 0.6,
}


def test_a_kind_is_asked_once_within_the_window_and_again_after_it() -> None:
    limiter = AnalysisLimiter(per_hour=10, reuse_window=600)
    assert limiter.admit("down@web", 1, now=0).ask
    assert limiter.admit("down@web", 2, now=1).skipped == "kind_in_progress"
    limiter.answered("down@web", {"parsed": "{}"})
    reused = limiter.admit("down@web", 3, now=2).reuse
    assert reused is not None and reused.incident_id == 1
    assert limiter.admit("down@web", 4, now=601).ask  # the window is over


def test_a_kind_without_a_valid_answer_is_not_asked_again_within_the_window() -> None:
    limiter = AnalysisLimiter(per_hour=10, reuse_window=600)
    assert limiter.admit("down@web", 1, now=0).ask
    limiter.answered("down@web", None)
    assert limiter.admit("down@web", 2, now=5).skipped == "kind_unanswered"


def test_past_the_hourly_limit_analyses_are_skipped_until_the_hour_has_moved_on() -> None:
    limiter = AnalysisLimiter(per_hour=2, reuse_window=60)
    assert limiter.admit("a", 1, now=0).ask and limiter.admit("b", 2, now=10).ask
    assert limiter.admit("c", 3, now=20).skipped == "hourly_limit"
    assert limiter.admit("c", 4, now=3599).skipped == "hourly_limit"
    assert limiter.admit("c", 5, now=3600.5).ask  # the first one left the hour


def test_an_abandoned_analysis_frees_its_kind_but_still_counts() -> None:
    limiter = AnalysisLimiter(per_hour=2, reuse_window=600)
    assert limiter.admit("a", 1, now=0).ask
    limiter.abandoned("a")
    assert limiter.admit("a", 2, now=1).ask
    assert limiter.admit("b", 3, now=2).skipped == "hourly_limit"


async def analysed(planner: LLMPlanner, store: SqliteStore, target: str) -> Analysis | None:
    """A `down` incident on `target` opened, analysed within the limits, then resolved."""
    symptom = Symptom("down", target, "critical", f"{target} is down", {})
    incident = store.open_incident(symptom)
    situation = Situation(
        incident, symptom.signature, "down", "svc", target, "critical", "down", {}, symptom.ts, []
    )
    try:
        return await planner.analyze_and_record(situation)
    finally:
        store.resolve_incident(incident)


async def test_the_planner_reuses_a_known_kind_and_skips_past_the_hourly_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    llm = {"providers": [{"name": "off", "type": "offline", "default_answer": json.dumps(ANSWER)}]}
    config = base_config(
        tmp_path, llm, analyze=True, analysis_per_hour=2, analysis_reuse="1h", analysis_style="prose"
    )
    (tmp_path / "mapekd.yaml").write_text(yaml.safe_dump(config))
    settings = load_settings(tmp_path / "mapekd.yaml", {})
    store = SqliteStore(settings.knowledge.path)
    reasoning = Reasoning.build(settings, store)
    planner = reasoning.planner
    assert planner is not None
    caplog.set_level(logging.INFO, logger="mapekd.decision")
    first = await analysed(planner, store, "process:web")
    repeats = [await analysed(planner, store, "process:web") for _ in range(3)]
    other = await analysed(planner, store, "process:db")
    over = await analysed(planner, store, "process:cache")
    await reasoning.close()
    rows: list[dict[str, Any]] = store._rows("SELECT incident_id, state, summary, raw FROM analyses")
    calls = store._rows("SELECT prompt_template FROM llm_calls")
    store.close()

    assert first is not None and first.summary == ANSWER["summary"]
    assert repeats == [first] * 3 and other == first and over is None
    assert [c["prompt_template"] for c in calls] == ["analyze.j2", "analyze.j2"]  # web once, db once
    reused = [r for r in rows if r["raw"].startswith("reused: the analysis of incident 1 ")]
    assert [r["incident_id"] for r in reused] == [2, 3, 4]
    assert all(r["state"] == "ok" and r["summary"] == ANSWER["summary"] for r in reused)
    assert len(rows) == 5  # the skipped one (cache) has no analysis
    skipped = [getattr(r, "event", None) for r in caplog.records if r.getMessage() == "analysis skipped"]
    assert skipped == [
        {
            "event": "analysis_skipped",
            "incident": 6,
            "signature": "down@process:cache",
            "reason": "hourly_limit",
        }
    ]
