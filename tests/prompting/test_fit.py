"""Fitting prompts into SmolLM2's 2048-token window: whole items dropped by priority, never the
incident, the candidates or the answer format; token estimates checked against the real tokenizer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mapekd.evidence.base import EvidenceItem
from mapekd.knowledge import recall
from mapekd.model import Sample
from mapekd.prompting import (
    HostSnapshot,
    PromptError,
    Prompts,
    PromptTooLarge,
    Rendered,
    Trim,
    analyze_context,
    budget,
    count_tokens,
    explain_context,
    plan_context,
    render_fitted,
)
from mapekd.prompting.host import ProcessInfo
from tests.llm.conftest import llama_server, smollm2_gguf, smollm2_tokens  # noqa: F401 (fixtures)
from tests.prompting.conftest import NOW, World, data_sections, outside_data, sections


@pytest.fixture(scope="module")
def tokenizer(request: pytest.FixtureRequest) -> Callable[[Rendered], int]:
    """SmolLM2's own tokenizer and chat template, through llama.cpp's server (the real model's
    fixtures of tests/llm)."""
    smollm2: Callable[[list[dict[str, str]]], int] = request.getfixturevalue("smollm2_tokens")

    def count(rendered: Rendered) -> int:
        return smollm2([{"role": m.role, "content": m.content} for m in rendered.messages])

    return count


def long_history(n: int) -> list[Sample]:
    return [
        Sample(
            "web",
            "process:web",
            {"ok": True, "alive": True, "cpu_percent": 3.3 + i % 7, "rss_bytes": 5e7 + i},
            ts=NOW - 10 * (n - i),
        )
        for i in range(n)
    ]


def heavy_host(host: HostSnapshot) -> HostSnapshot:
    many = tuple(
        ProcessInfo(1000 + i, f"worker{i}", f"/usr/bin/worker --id {i} --queue jobs", 12.5, 2**27)
        for i in range(30)
    )
    return replace(host, top_cpu=many, top_memory=many)


def assert_whole(rendered: Rendered) -> None:
    for message in rendered.messages:
        for section in data_sections(message.content):
            for line in section.splitlines():
                json.loads(line)


def test_analyze_of_a_long_history_is_fitted_newest_samples_kept(
    prompts: Prompts, world: World, host: HostSnapshot, tokenizer: Any
) -> None:
    situation = replace(world.situation, samples=long_history(200) + world.situation.samples)
    similar = recall.similar_incidents(
        world.store, situation.signature, situation.rule, exclude=situation.incident_id
    )
    context = analyze_context(situation, heavy_host(host), similar)
    limit = budget(384)
    assert count_tokens(prompts.render("analyze.j2", context)) > limit
    fitted = render_fitted(prompts, "analyze.j2", context, limit)
    assert count_tokens(fitted) <= limit
    assert tokenizer(fitted) <= count_tokens(fitted)  # the estimate never under-counts SmolLM2
    assert fitted.trimmed[0].startswith("samples.rows -")
    assert_whole(fitted)
    found = sections(fitted.messages[1].content)
    rows = found["Samples of this check, oldest first"]
    assert rows[0][0] == "t" and rows[-1][0] == 20 and len(rows) >= 4  # header + newest rows
    assert found["Incident"][0]["signature"] == "web_down@process:web"
    assert "Write one JSON object" in fitted.messages[1].content
    assert (
        context["samples"]["rows"] and len(context["samples"]["rows"]) == 215
    )  # the caller's context untouched


def test_plan_never_loses_candidates_or_choices(prompts: Prompts, world: World, tokenizer: Any) -> None:
    runbook = {"name": "big", "title": "A long runbook", "body": "Check the thing. " * 60}
    recent = [
        {
            "action": "restart_web",
            "source": "rule",
            "result": "resolved",
            "started_at": NOW - 60 * i,
            "incident_id": 1,
        }
        for i in range(40)
    ]
    context = plan_context(world.situation, None, world.candidates * 5, recent, [runbook] * 3)
    bare = {**context, "latest": {**context["latest"], "rows": context["latest"]["rows"][-1:]}}
    limit = count_tokens(prompts.render("plan.j2", {**bare, "recent_actions": [], "runbooks": []})) + 120
    fitted = render_fitted(prompts, "plan.j2", context, limit)
    assert count_tokens(fitted) <= limit and tokenizer(fitted) <= limit
    user = fitted.messages[1].content
    assert user.count('{"name":"restart_web"') == 5 and user.count('{"name":"kill_web"') == 5
    instructions = outside_data(user)
    assert '"action" must be exactly one of: ["restart_web","kill_web","none","escalate"]' in instructions
    assert [t.split(" -")[0] for t in fitted.trimmed] == ["latest.rows", "recent_actions", "runbooks"]
    assert_whole(fitted)


@pytest.mark.parametrize("name", ["analyze.j2", "plan.j2", "explain.j2"])
def test_realistic_prompts_fit_the_small_model_with_room_to_answer(
    name: str, prompts: Prompts, world: World, host: HostSnapshot, tokenizer: Any
) -> None:
    s = world.situation
    contexts = {
        "analyze.j2": lambda: analyze_context(
            s, host, recall.similar_incidents(world.store, s.signature, s.rule)
        ),
        "plan.j2": lambda: plan_context(
            s,
            None,
            world.candidates,
            recall.recent_actions(world.store, s.target),
            recall.matching_runbooks(world.store, s.rule, s.check, s.signature),
        ),
        "explain.j2": lambda: explain_context(
            world.store.incident(2) or {}, world.store.timeline(2), None, []
        ),
    }
    fitted = render_fitted(prompts, name, contexts[name](), budget(384))
    assert tokenizer(fitted) + 384 <= 2048


def test_a_prompt_that_fits_is_not_trimmed(prompts: Prompts, world: World) -> None:
    context = plan_context(world.situation, None, world.candidates, [], [])
    assert render_fitted(prompts, "plan.j2", context, 4000) == prompts.render("plan.j2", context)


def test_too_small_a_budget_is_an_error(prompts: Prompts, world: World) -> None:
    context = plan_context(world.situation, None, world.candidates, [], [])
    with pytest.raises(PromptTooLarge) as caught:
        render_fitted(prompts, "plan.j2", context, 200)
    assert caught.value.budget == 200 and caught.value.tokens > 200


@pytest.mark.parametrize(
    ("drop_from", "kept"),
    [("start", [7, 8, 9]), ("end", [0, 1, 2]), ("middle", [0, 1, 9])],
)
def test_trims_drop_whole_items_from_the_chosen_side(tmp_path: Path, drop_from: Any, kept: list[int]) -> None:
    user = "{% for item in box.rows %}\n{{ item | tojson }}\n{% endfor %}"
    (tmp_path / "t.j2").write_text(
        f"{{# version: 1 #}}\n{{% block system %}}s{{% endblock %}}{{% block user %}}{user}{{% endblock %}}"
    )
    prompts = Prompts(tmp_path)
    items = [{"n": i, "pad": "word " * 8} for i in range(10)]
    three = count_tokens(prompts.render("t.j2", {"box": {"rows": items[:3]}}))
    fitted = render_fitted(prompts, "t.j2", {"box": {"rows": items}}, three, [Trim("box.rows", 1, drop_from)])
    assert [json.loads(line)["n"] for line in fitted.messages[1].content.splitlines()] == kept
    assert fitted.trimmed == ("box.rows -7",)
    with pytest.raises(PromptError, match="not a list"):
        render_fitted(prompts, "t.j2", {"box": {"rows": items}}, three, [Trim("box", 0)])


@pytest.mark.parametrize("name", ["analyze.j2", "plan.j2"])
def test_a_flood_of_evidence_is_fitted_keeping_the_latest_items_and_their_ids(
    name: str, prompts: Prompts, world: World, host: HostSnapshot, tokenizer: Any
) -> None:
    flood = tuple(
        EvidenceItem(
            "journal", "web.service", f"request {i} failed: upstream timed out " + "x " * 100, NOW - 60 + i
        )
        for i in range(60)
    )
    s = replace(world.situation, evidence=flood)
    context = (
        analyze_context(s, host, [])
        if name == "analyze.j2"
        else plan_context(s, None, world.candidates, [], [])
    )
    fitted = render_fitted(prompts, name, context, budget(384))
    assert tokenizer(fitted) + 384 <= 2048
    shown = sections(fitted.messages[1].content)["Evidence gathered when the incident opened"]
    ids = [item["id"] for item in shown]
    assert len(ids) >= 4 and ids[-1] == "e60"  # the newest kept, each with the id it was gathered as
    assert ids == [f"e{n}" for n in range(61 - len(ids), 61)]
    assert any(t.startswith("evidence -") for t in fitted.trimmed)
