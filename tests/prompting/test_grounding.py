"""Grounding: an analysis cites only evidence ids, numbers and log lines that were observed; one
that cites anything else is ungrounded, with what it invented."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mapekd.prompting import HostSnapshot, analyze_context, evidence_ids, ground, parse_analysis, parse_cause
from tests.prompting.conftest import World

PROSE = {
    "summary": "web stopped at t=0 with exit status 1 (e3).",
    "anomalies": [
        {
            "name": "database refused",
            "severity": "high",
            "evidence": '"connection refused to 127.0.0.1:5432" (e2)',
        }
    ],
    "suspected_cause": "the database on port 5432 was down",
    "confidence": 0.7,
}


@pytest.fixture
def host() -> HostSnapshot:
    """A fixed host: the real one's figures change with the load (a process at 100 % CPU would
    make "a 100% chance" an observed number)."""
    return HostSnapshot(
        ts=0.0,
        load=(0.52, 0.41, 0.3),
        cpu_count=2,
        memory_percent=41.5,
        memory_available_bytes=8 * 2**30,
        swap_percent=0.0,
        disks=(),
        top_cpu=(),
        top_memory=(),
    )


def observed(world: World, host: HostSnapshot) -> dict[str, Any]:
    return analyze_context(world.situation, host, [])


def grounded(world: World, host: HostSnapshot, **changes: Any) -> tuple[bool, tuple[str, ...]]:
    analysis = parse_analysis(json.dumps({**PROSE, **changes}))
    result = ground(analysis, evidence_ids(world.situation.evidence), observed(world, host))
    return result.grounded, result.unsupported


def test_an_analysis_citing_what_was_observed_is_grounded(world: World, host: HostSnapshot) -> None:
    assert grounded(world, host) == (True, ())


@pytest.mark.parametrize(
    ("changes", "invented"),
    [
        ({"summary": "a 100% chance of a fatal accident"}, "100"),
        ({"suspected_cause": "the database on port 5433 was down"}, "5433"),
        ({"summary": "memory grew to 93.7 MB before the crash"}, "93.7"),
        (
            {"suspected_cause": 'the log says "out of memory: killed process 4242"'},
            '"out of memory: killed process 4242"',
        ),
        ({"suspected_cause": "see `segfault at 0000`"}, '"segfault at 0000"'),
        ({"summary": "web stopped, as e7 shows"}, "e7"),
    ],
    ids=["number", "near number", "decimal", "quoted line", "backticks", "evidence id"],
)
def test_a_fabricated_citation_makes_it_ungrounded(
    world: World, host: HostSnapshot, changes: dict[str, Any], invented: str
) -> None:
    ok, unsupported = grounded(world, host, **changes)
    assert not ok and invented in unsupported


def test_rounded_values_and_names_with_digits_are_not_fabrications(world: World, host: HostSnapshot) -> None:
    # cpu_percent 14.25 written as 14.2 or 14; `e3` and `IPv4` are names, not numbers
    ok, unsupported = grounded(world, host, summary="cpu at 14.2 then 14, over IPv4, see e3", anomalies=[])
    assert (ok, unsupported) == (True, ())


def test_quotes_match_whatever_the_case_and_spacing(world: World, host: HostSnapshot) -> None:
    ok, _ = grounded(world, host, suspected_cause='"Connection  refused to 127.0.0.1:5432"')
    assert ok


def test_a_structured_analysis_is_grounded_when_its_evidence_ids_exist(
    world: World, host: HostSnapshot
) -> None:
    ids = evidence_ids(world.situation.evidence)
    assert ids == ["e1", "e2", "e3"]
    good = parse_cause(json.dumps({"cause": "dependency", "evidence": ["e2"], "suggested": "none"}), [])
    bad = parse_cause(json.dumps({"cause": "oom_kill", "evidence": ["e2", "e9"], "suggested": "none"}), [])
    assert ground(good, ids, observed(world, host)).grounded
    result = ground(bad, ids, observed(world, host))
    assert (result.grounded, result.unsupported) == (False, ("e9",))


def test_a_claim_citing_nothing_is_not_verified(world: World, host: HostSnapshot) -> None:
    """What the embedded SmolLM2 wrote: no id, no value, no line; nothing can be checked."""
    ok, unsupported = grounded(
        world,
        host,
        summary="The incident was a critical failure that compromised the security of the system.",
        anomalies=[{"name": "python", "severity": "high", "evidence": "The malware was able to bypass it"}],
        suspected_cause="The malware was able to bypass the security of the system.",
    )
    assert (ok, unsupported) == (False, ("nothing cited",))
    ids = evidence_ids(world.situation.evidence)
    crash = parse_cause(json.dumps({"cause": "crash", "evidence": [], "suggested": "none"}), [])
    unknown = parse_cause(json.dumps({"cause": "unknown", "evidence": [], "suggested": "none"}), [])
    assert ground(crash, ids, observed(world, host)).unsupported == ("nothing cited",)
    assert ground(unknown, ids, observed(world, host)).grounded  # "the evidence does not tell"
    assert ground(crash, [], {}).grounded  # no evidence to cite


def test_a_version_or_address_must_appear_as_written(world: World, host: HostSnapshot) -> None:
    # 3.25 is a sample's cpu_percent: "3.2.5" is no rounding of it
    ok, unsupported = grounded(world, host, summary="python 3.2.5 broke; 127.0.0.1 refused (e2)")
    assert not ok and unsupported == ("3.2.5",)
