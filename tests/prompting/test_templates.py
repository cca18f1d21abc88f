"""A render test per template, with the context built from a real knowledge base and this host."""

from __future__ import annotations

import json
from dataclasses import replace

from mapekd.knowledge import recall
from mapekd.prompting import (
    HostSnapshot,
    Prompts,
    analyze_context,
    explain_context,
    explain_text,
    parse_analysis,
    parse_plan,
    plan_choices,
    plan_context,
)
from mapekd.prompting.context import incident_view
from mapekd.prompting.output import copies_example
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


def test_plan_renders_candidates_with_their_record_and_the_exact_choices(
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
    candidates = [json.loads(line) for line in instructions.splitlines() if line.startswith('{"name":')]
    assert [(c["name"], c["record"]) for c in candidates] == [
        ("restart_web", "resolved 2 of 3 tries"),
        ("kill_web", "resolved 0 of 1 tries"),
    ]
    assert '"action" must be exactly one of: ["restart_web","kill_web","none","escalate"]' in instructions
    assert "### A service process died" in instructions  # the matching runbook
    found = sections(user)
    latest = found["Latest samples"]
    analysis, recent = found["Analysis"], found["Recent actions on this target, newest first"]
    assert len(latest) == 4 and analysis[0]["summary"] == ANALYSIS.summary
    assert [a["action"] for a in recent] == ["restart_web", "restart_web", "kill_web", "restart_web"]
    example = instructions.split("for example:\n")[1].splitlines()[0]
    assert copies_example(parse_plan(example, ["restart_web", "kill_web"]))


def test_plan_without_candidates_or_analysis_offers_only_none_and_escalate(
    prompts: Prompts, world: World
) -> None:
    context = plan_context(world.situation, None, [], [], [])
    assert context["choices"] == plan_choices([]) == ["none", "escalate"]
    user = prompts.render("plan.j2", context).messages[1].content
    assert "None: no action is configured for this incident." in user
    assert "## Analysis\nNone available." in user
    assert '{"action": "none", "params": {}' in user
    assert "Runbooks" not in user


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
