"""Grounded analyses, reused per cause: a small model fills structured fields; whatever cites
what the evidence does not hold is recorded ungrounded and not handed on as fact; a known cause
fingerprint reuses its recorded grounded analysis instead of asking again, across restarts.
Through the real planner, gateway and an offline provider, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plan.llm_world import DB_DOWN, HANG, llm_world

HANG_PRINT = "svc_down@process:svc|worker <num> stalled: no progress for <num> s"
DB_PRINT = "svc_down@process:svc|connection refused to <ip>:<num>"


def structured(cause: str, evidence: list[str], suggested: str = "none") -> dict[str, str]:
    return {"answer": json.dumps({"cause": cause, "evidence": evidence, "suggested": suggested})}


async def test_a_small_models_analysis_is_structured_and_grounded(tmp_path: Path) -> None:
    async with llm_world(tmp_path, [structured("hang", ["e1", "e2"], "kill")], analyze=True) as world:
        situation = world.open(HANG, HANG_PRINT)
        analysis = await world.planner.analyze_and_record(situation, ["restart", "kill"])
        [row] = world.rows(
            "SELECT state, summary, suspected_cause, grounded, unsupported, fingerprint FROM analyses"
        )
    assert analysis is not None and analysis.model_dump() == {
        "cause": "hang",
        "evidence": ["e1", "e2"],
        "suggested": "kill",
    }
    assert row == {
        "state": "ok",
        "summary": "cause class hang (e1, e2); suggested kill",
        "suspected_cause": "hang",
        "grounded": 1,
        "unsupported": None,
        "fingerprint": HANG_PRINT,
    }


async def test_an_analysis_citing_evidence_that_does_not_exist_is_ungrounded(tmp_path: Path) -> None:
    async with llm_world(tmp_path, [structured("oom_kill", ["e1", "e7"])], analyze=True) as world:
        analysis = await world.planner.analyze_and_record(world.open(HANG, HANG_PRINT), ["restart"])
        [row] = world.rows("SELECT state, grounded, unsupported FROM analyses")
        timeline = world.store.timeline(1)
    assert analysis is None  # not handed to the plan as what is wrong
    assert row == {"state": "ok", "grounded": 0, "unsupported": '["e7"]'}
    [event] = [e for e in timeline if e["kind"] == "analysis"]
    assert event["grounded"] == 0 and event["unsupported"] == ["e7"]


async def test_a_prose_analysis_with_a_fabricated_number_or_line_is_ungrounded(tmp_path: Path) -> None:
    prose = {
        # A number no host figure can be (above pid_max; the real host snapshot is in the prompt).
        "summary": "web refused connections: 9876543 requests lost, a fatal accident",
        "anomalies": [
            {"name": "refused", "severity": "high", "evidence": '"connection refused to 127.0.0.1:5432"'}
        ],
        "suspected_cause": 'the log says "database is corrupt"',
        "confidence": 0.9,
    }
    answers = [{"answer": json.dumps(prose)}]
    async with llm_world(tmp_path, answers, analyze=True, analysis_style="prose") as world:
        analysis = await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT))
        [row] = world.rows("SELECT grounded, unsupported FROM analyses")
    assert analysis is None and row["grounded"] == 0
    assert json.loads(row["unsupported"]) == ["9876543", '"database is corrupt"']


async def test_a_known_fingerprint_reuses_its_analysis_without_asking_again(tmp_path: Path) -> None:
    async with llm_world(tmp_path, [structured("hang", ["e1"], "kill")], analyze=True) as world:
        first = await world.planner.analyze_and_record(world.open(HANG, HANG_PRINT), ["kill"])
        again = await world.planner.analyze_and_record(world.open(HANG, HANG_PRINT), ["kill"])
        calls_then = len(world.rows("SELECT id FROM llm_calls"))
        other = await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT), ["kill"])
        rows = world.rows("SELECT id, incident_id, raw, reused_from, fingerprint FROM analyses ORDER BY id")
        calls = len(world.rows("SELECT id FROM llm_calls"))
    assert first is not None and again == first and other is not None
    assert calls_then == 1 and calls == 2  # the same cause asked once; another cause asked
    assert [(r["incident_id"], r["reused_from"]) for r in rows] == [(1, None), (2, rows[0]["id"]), (3, None)]
    assert rows[1]["raw"].startswith("reused: the analysis of incident 1 ")


async def test_the_reuse_survives_a_restart_and_skips_ungrounded_ones(tmp_path: Path) -> None:
    async with llm_world(tmp_path, [structured("hang", ["e1"])], analyze=True) as world:
        await world.planner.analyze_and_record(world.open(HANG, HANG_PRINT), [])
    (tmp_path / "answers.yaml").unlink()  # the same base, a new daemon with another scripted model
    async with llm_world(tmp_path, [structured("dependency", ["e9"])], analyze=True) as world:
        reused = await world.planner.analyze_and_record(world.open(HANG, HANG_PRINT), [])
        invented = await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT), [])
        after = await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT), [])
        rows = world.rows("SELECT incident_id, reused_from, grounded FROM analyses ORDER BY id")
        calls = len(world.rows("SELECT id FROM llm_calls"))
    assert reused is not None and reused.model_dump()["cause"] == "hang"
    assert invented is None and after is None  # an ungrounded analysis is never handed on
    assert [(r["incident_id"], r["reused_from"] is not None, r["grounded"]) for r in rows] == [
        (1, False, 1),
        (2, True, 1),
        (3, False, 0),
    ]
    assert calls == 2  # the first daemon's, and the invented one; the repeat was not asked


async def test_a_cause_whose_analysis_was_ungrounded_is_not_asked_again_after_a_restart(
    tmp_path: Path,
) -> None:
    """Seen in the evaluation: episodes of one cause on one base, each with a new daemon, asked
    the model again every time its earlier answer had been ungrounded."""
    async with llm_world(tmp_path, [structured("dependency", ["e9"])], analyze=True) as world:
        assert await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT), []) is None
    async with llm_world(tmp_path, [structured("dependency", ["e1"])], analyze=True) as world:
        again = await world.planner.analyze_and_record(world.open(DB_DOWN, DB_PRINT), [])
        rows = world.rows("SELECT incident_id, grounded FROM analyses ORDER BY id")
        calls = len(world.rows("SELECT id FROM llm_calls WHERE prompt_template = 'analyze.j2'"))
    assert again is None and rows == [{"incident_id": 1, "grounded": 0}]
    assert calls == 1, "the same evidence is not analysed twice"
