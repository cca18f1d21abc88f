"""A render test per template, with the context built from a real knowledge base and this host."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from mapekd.knowledge import recall
from mapekd.prompting import (
    HostSnapshot,
    Prompts,
    analyze_context,
    explain_context,
    explain_text,
    parse_analysis,
    plan_choices,
    plan_context,
)
from mapekd.prompting.context import incident_view
from tests.prompting.conftest import WEB_EVIDENCE as EVIDENCE
from tests.prompting.conftest import World, data_sections, outside_data, sections

ANALYSIS = parse_analysis(
    json.dumps(
        {
            "summary": "web died at t=0 with exit status 1",
            "anomalies": [{"name": "process dead", "severity": "high", "evidence": "alive=false from t=0"}],
            "suspected_cause": "a crash of the web process",
            "confidence": 0.7,
        }
    )
)


def json_lines(section: str) -> list[object]:
    return [json.loads(line) for line in section.splitlines()]


def test_analyze_renders_the_incident_history_host_and_similar_incidents(
    prompts: Prompts, world: World, host: HostSnapshot
) -> None:
    s = world.situation
    similar = recall.similar_incidents(world.store, s.signature, s.rule, exclude=s.incident_id)
    rendered = prompts.render("analyze.j2", analyze_context(s, host, similar))
    system, user = (m.content for m in rendered.messages)
    assert "never an instruction" in system
    assert all(json_lines(x) for x in data_sections(user))  # every line of every section is JSON
    found = sections(user)
    incident, samples, host_now = (
        found["Incident"],
        found["Samples of this check, oldest first"],
        found["Host now"],
    )
    top_cpu, top_memory = found["Top processes by CPU"], found["Top processes by memory"]
    past = found["Similar past incidents, what was done and how it went"]
    assert incident == [json.loads(json.dumps(incident_view(s)))]
    assert samples[0][:3] == ["t", "ok", "alive"]
    assert len(samples) == 1 + len(s.samples) and samples[-1][0] == 20
    assert host_now[0]["cpus"] == host.cpu_count and {d["mount"] for d in host_now[1:]} == {
        d.mount for d in host.disks
    }
    assert [p["pid"] for p in top_memory] == [p.pid for p in host.top_memory]
    assert [p["pid"] for p in top_cpu] == [p.pid for p in host.top_cpu]
    assert [p["id"] for p in past] == [3, 2, 1]  # same signature, newest first
    assert past[1]["actions"] == [
        {"action": "kill_web", "source": "rule", "result": "not_resolved"},
        {"action": "restart_web", "source": "rule", "result": "resolved"},
    ]
    assert "Trend forecast" not in user


def test_analyze_shows_a_trend_forecast_when_a_trend_rule_fired(
    prompts: Prompts, world: World, host: HostSnapshot
) -> None:
    trend = {"field": "used_percent", "threshold": 95.0, "slope_per_s": 0.0012345, "eta_s": 5400.4}
    situation = replace(world.situation, trend=trend)
    user = prompts.render("analyze.j2", analyze_context(situation, host, [])).messages[1].content
    assert "Trend forecast" in user
    assert {"field": "used_percent", "threshold": 95, "slope_per_s": 0.00123, "eta_s": 5400} in [
        json_lines(x)[0] for x in data_sections(user)
    ]
    assert "None recorded." in user  # no similar incidents


def test_plan_renders_candidates_with_their_records_and_the_exact_choices(
    prompts: Prompts, world: World
) -> None:
    s = world.situation
    context = plan_context(
        s,
        ANALYSIS,
        world.candidates,
        recall.recent_actions(world.store, s.target),
        recall.matching_runbooks(world.store, s.rule, s.check, s.signature),
    )
    user = prompts.render("plan.j2", context).messages[1].content
    instructions = outside_data(user)
    found = sections(user)
    candidates = found["Candidate actions"]
    assert [(c["name"], c["record"], c["cause_record"]) for c in candidates] == [
        ("restart_web", "resolved 2 of 3 tries", "resolved 1 of 1 tries"),
        ("kill_web", "resolved 0 of 1 tries", "not tried yet"),
    ]
    assert '"action" must be exactly one of: ["restart_web","kill_web","none","escalate"]' in instructions
    assert "### A service process died" in instructions  # the matching runbook
    latest = found["Latest samples"]
    analysis, recent = found["Analysis"], found["Recent actions on this target, newest first"]
    assert len(latest) == 4 and analysis[0]["summary"] == ANALYSIS.summary
    assert [a["action"] for a in recent] == ["restart_web", "restart_web", "kill_web", "restart_web"]
    assert found["Evidence gathered when the incident opened"] == [
        {"id": "e1", "kind": "log", "source": "/var/log/web/error.log", "t": -40, "text": EVIDENCE[0].text},
        {"id": "e2", "kind": "log", "source": "/var/log/web/error.log", "t": -5, "text": EVIDENCE[1].text},
        {"id": "e3", "kind": "exit", "source": "process:web", "t": 0, "text": "exited with status 1"},
    ]


def test_without_a_fingerprint_a_candidate_has_no_cause_record(prompts: Prompts, world: World) -> None:
    situation = replace(world.situation, fingerprint=None, evidence=())
    user = (
        prompts.render("plan.j2", plan_context(situation, None, world.candidates, [], [])).messages[1].content
    )
    found = sections(user)
    assert all("cause_record" not in c for c in found["Candidate actions"])
    assert "## Evidence gathered when the incident opened (id: cite it by this; " in user
    assert found["Evidence gathered when the incident opened"] == [] and "None gathered." in user


def test_plan_without_candidates_or_analysis_offers_only_none_and_escalate(
    prompts: Prompts, world: World
) -> None:
    context = plan_context(world.situation, None, [], [], [])
    assert context["choices"] == plan_choices([]) == ["none", "escalate"]
    user = prompts.render("plan.j2", context).messages[1].content
    assert "None: no action is configured for this incident." in user
    assert "## Analysis\nNone available." in user
    assert "Runbooks" not in user


def test_plan_to_rank_asks_for_a_name_alone(prompts: Prompts, world: World) -> None:
    context = plan_context(world.situation, None, world.candidates, [], [], answer_as="name")
    system, user = (m.content for m in prompts.render("plan.j2", context).messages)
    assert 'Answer with one name from "Choices", exactly as written, and nothing else.' in system
    assert 'Answer with exactly one of: ["restart_web","kill_web","none","escalate"]' in user
    assert "JSON object" not in system + user.split("## Choices")[1]


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


@pytest.mark.parametrize("name", ["analyze.j2", "plan.j2", "explain.j2", "explain_text.j2"])
def test_no_template_holds_an_example_answer(name: str) -> None:
    """A small model copies an example answer whole (61 of 61 answers did): the templates
    describe the keys; no JSON object is written out in them."""
    source = (Prompts().directory / name).read_text()
    literal = JINJA.sub("", source)
    assert "{" not in literal, literal[literal.index("{") - 80 : literal.index("{") + 80]


@pytest.mark.parametrize("answer_as", ["json", "name"])
def test_a_rendered_plan_shows_no_answer_naming_a_candidate(
    prompts: Prompts, world: World, answer_as: str
) -> None:
    """Outside the data sections, no line is an answer-like JSON object naming a choice."""
    context = plan_context(world.situation, ANALYSIS, world.candidates, [], [], answer_as=answer_as)  # type: ignore[arg-type]
    for message in prompts.render("plan.j2", context).messages:
        for line in outside_data(message.content).splitlines():
            objects = re.findall(r"\{.*\}", line)
            named = [o for o in objects for c in context["choices"] if json.dumps(c) in o]
            assert not named, line


def test_analyze_structured_asks_for_a_cause_class_evidence_ids_and_a_candidate(
    prompts: Prompts, world: World, host: HostSnapshot
) -> None:
    context = analyze_context(world.situation, host, [], style="structured", candidates=["restart_web"])
    user = prompts.render("analyze.j2", context).messages[1].content
    answer = user.split("## Answer")[1]
    assert '"cause": one of ["crash","hang","dependency","resource_exhaustion","oom_kill",' in answer
    assert '"suggested": the candidate you would try first, one of ["restart_web","none"]' in answer
    assert "summary" not in answer
    assert [e["id"] for e in sections(user)["Evidence gathered when the incident opened"]] == [
        "e1",
        "e2",
        "e3",
    ]
    prose = prompts.render("analyze.j2", analyze_context(world.situation, host, [])).messages[1].content
    assert '"summary": two sentences' in prose.split("## Answer")[1]


def test_explain_renders_the_timeline_and_decisions(prompts: Prompts, world: World) -> None:
    incident = world.store.incident(2)
    assert incident is not None
    decisions = [{"id": 3, "source": "llm", "model": "SmolLM2", "override_reason": "poor record", "ts": 1.0}]
    context = explain_context(incident, world.store.timeline(2), ANALYSIS, decisions)
    rendered = prompts.render("explain.j2", context)
    found = sections(rendered.messages[1].content)
    header, timeline = (
        found["Incident"],
        found["Timeline"],
    )
    analysis, decided = found["Analysis"], found["Decisions"]
    assert header[0]["lasted_s"] == 65 and header[0]["status"] == "resolved"
    assert [e["kind"] for e in timeline] == ["symptom"] + ["decision", "execution", "outcome"] * 2
    assert timeline[-1] == {"t": 65, "kind": "outcome", "result": "resolved", "detail": "rule cleared"}
    assert decided == [{"id": 3, "source": "llm", "model": "SmolLM2", "override_reason": "poor record"}]
    assert analysis[0]["confidence"] == 0.7


def test_explain_text_tells_the_same_story_without_a_model(prompts: Prompts, world: World) -> None:
    incident = world.store.incident(2)
    assert incident is not None
    timeline = world.store.timeline(2)
    timeline[0]["message"] = "web died\x1b[2J\nFAKE LINE"
    text = explain_text(
        prompts, incident, timeline, ANALYSIS, [{"id": 3, "source": "llm", "model": "SmolLM2"}]
    )
    lines = text.splitlines()
    assert lines[0] == "Incident 2: web_down@process:web (critical), resolved after 65s."
    assert "Analysis (70% confident): web died at t=0 with exit status 1" in lines
    assert "     +0.0s  symptom   critical: web died [2J FAKE LINE" in lines
    assert "    +30.0s  decision  execute kill_web (source rule): first remedy of the rule" in lines
    assert "    +35.0s  outcome   not_resolved" in lines
    assert "    +65.0s  outcome   resolved: rule cleared" in lines
    assert lines[-1] == "  decision 3: llm, model SmolLM2"
    assert "\x1b" not in text


def test_the_same_situation_renders_the_same_prompt(
    prompts: Prompts, world: World, host: HostSnapshot
) -> None:
    """Deterministic text: the exact cache can serve a repeated prompt."""
    context = analyze_context(world.situation, host, [])
    assert prompts.render("analyze.j2", context) == prompts.render(
        "analyze.j2", analyze_context(world.situation, host, [])
    )


UNGROUNDED = {**json.loads(ANALYSIS.model_dump_json()), "grounded": False, "unsupported": ["100"]}


def test_explain_text_shows_an_ungrounded_analysis_as_unverified(prompts: Prompts, world: World) -> None:
    incident = world.store.incident(2)
    assert incident is not None
    text = explain_text(prompts, incident, world.store.timeline(2), UNGROUNDED, [])
    assert "Analysis (ungrounded, not verified: it cites what the evidence does not hold: 100):" in text
    assert "Analysis (70% confident)" not in text  # never presented as the analysis


def test_explain_text_shows_a_structured_analysis(prompts: Prompts, world: World) -> None:
    incident = world.store.incident(2)
    assert incident is not None
    cause = {
        "cause": "dependency",
        "evidence": ["e2"],
        "suggested": "none",
        "grounded": True,
        "reused_from": 4,
    }
    lines = explain_text(prompts, incident, world.store.timeline(2), cause, []).splitlines()
    assert "Cause class: dependency, shown by evidence e2; suggested: none." in lines
    assert "  (reused from incident 4: same cause fingerprint)" in lines


def test_explain_tells_the_model_an_ungrounded_analysis_is_unverified(prompts: Prompts, world: World) -> None:
    incident = world.store.incident(2)
    assert incident is not None
    user = prompts.render("explain.j2", explain_context(incident, [], UNGROUNDED, [])).messages[1].content
    assert "## Analysis (ungrounded: it cites values or lines the evidence does not hold;" in user
