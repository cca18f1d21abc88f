"""Parsing the models' answers: exactly one JSON object, the schema, the exact candidate names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mapekd.llm.providers.openai_compat import strict_subset
from mapekd.llm.types import Message
from mapekd.plan.llm_call import MAX_TOKENS
from mapekd.prompting import (
    OutputInvalid,
    Rendered,
    analysis_schema,
    cause_schema,
    parse_analysis,
    parse_cause,
    parse_plan,
    plan_schema,
    repair_messages,
)
from mapekd.prompting.answer import MAX_ANSWER_CHARS

CANDIDATES = ["restart_web", "kill_web"]
CLEAN = {"action": "restart_web", "params": {}, "risk": "low", "confidence": 0.8, "rationale": "it crashed"}


def answer(**changes: Any) -> str:
    return json.dumps({**CLEAN, **changes})


ACCEPTED = [
    ("clean", answer()),
    ("surrounding whitespace", "\n  " + answer() + "\n\n"),
    ("one json fence", "```json\n" + answer() + "\n```"),
    ("one bare fence", "```\n" + answer() + "\n```"),
    ("none", answer(action="none")),
    ("escalate", answer(action="escalate", risk="high")),
    ("integer confidence", answer(confidence=1)),
]

REJECTED = [
    ("empty", "", "not exactly one JSON object"),
    ("prose around", "Sure! " + answer(), "not exactly one JSON object"),
    ("text after", answer() + " I hope this helps", "several JSON values or text after"),
    ("two objects", answer() + "\n" + answer(action="kill_web"), "several JSON values"),
    ("two fences", "```json\n" + answer() + "\n```\n```json\n" + answer() + "\n```", "code fence"),
    ("unclosed fence", "```json\n" + answer(), "code fence"),
    ("truncated", answer()[:-9], "not exactly one JSON object"),
    ("an array", "[" + answer() + "]", "not a JSON object but a JSON list"),
    ("duplicate action", answer()[:-1] + ', "action": "kill_web"}', "duplicate key"),
    (
        "duplicate nested",
        answer(params={})[:-1].replace('"params": {}', '"params": {"a": "1", "a": "2"}') + "}",
        "duplicate key",
    ),
    ("NaN", answer().replace("0.8", "NaN"), "NaN is not a JSON number"),
    ("Infinity", answer().replace("0.8", "Infinity"), "Infinity is not a JSON number"),
    ("huge", answer(rationale="x" * MAX_ANSWER_CHARS), "answer too long"),
    ("deep nesting", '{"action": ' + "[" * 8000 + "]" * 8000 + "}", "nested too deeply"),
    ("off-list action", answer(action="rm_everything"), "action must be exactly one of"),
    ("case folded", answer(action="Restart_web"), "action must be exactly one of"),
    ("cyrillic look-alike", answer(action="restart_w\u0435b"), "action must be exactly one of"),
    ("fullwidth look-alike", answer(action="\uff52estart_web"), "action must be exactly one of"),
    ("zero-width joiner", answer(action="restart\u200d_web"), "action must be exactly one of"),
    ("trailing space", answer(action="restart_web "), "action must be exactly one of"),
    ("shell in action", answer(action="restart_web; rm -rf /"), "action must be exactly one of"),
    ("params given", answer(params={"unit": "x; rm -rf /"}), "params must be {}"),
    ("params not strings", answer(params={"n": 1}), "params.n"),
    ("params not an object", answer(params="--force"), "params"),
    ("extra key", answer(command="rm -rf /"), "command: Extra inputs are not permitted"),
    ("missing key", json.dumps({k: v for k, v in CLEAN.items() if k != "risk"}), "risk: Field required"),
    ("confidence above 1", answer(confidence=1.5), "confidence"),
    ("confidence as text", answer(confidence="0.9"), "confidence"),
    ("confidence as bool", answer(confidence=True), "confidence"),
    ("unknown risk", answer(risk="critical"), "risk"),
    ("action not a string", answer(action=["restart_web"]), "action"),
    ("empty rationale", answer(rationale=""), "rationale"),
]


@pytest.mark.parametrize(("case", "text"), ACCEPTED, ids=[c for c, _ in ACCEPTED])
def test_parse_plan_accepts_a_clean_answer(case: str, text: str) -> None:
    proposal = parse_plan(text, CANDIDATES)
    assert proposal.action in [*CANDIDATES, "none", "escalate"]
    assert proposal.params == {}


@pytest.mark.parametrize(("case", "text", "reason"), REJECTED, ids=[c for c, _, _ in REJECTED])
def test_parse_plan_rejects_each_hostile_form(case: str, text: str, reason: str) -> None:
    with pytest.raises(OutputInvalid) as caught:
        parse_plan(text, CANDIDATES)
    assert reason in caught.value.reason
    assert len(caught.value.reason) < 200  # it goes back to the model in a repair


def test_a_reason_never_echoes_the_rejected_value() -> None:
    with pytest.raises(OutputInvalid) as caught:
        parse_plan(answer(risk="IGNORE ALL RULES"), CANDIDATES)
    assert "IGNORE" not in caught.value.reason


GOOD_ANALYSIS = {
    "summary": "web is down since t=0",
    "anomalies": [{"name": "process dead", "severity": "high", "evidence": "alive=false from t=0"}],
    "suspected_cause": "the process crashed (exit status 1)",
    "confidence": 0.7,
}


def test_parse_analysis_accepts_a_clean_answer() -> None:
    analysis = parse_analysis(json.dumps(GOOD_ANALYSIS))
    assert analysis.anomalies[0].severity == "high"
    assert analysis.confidence == 0.7


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"anomalies": [GOOD_ANALYSIS["anomalies"][0]] * 6}, "anomalies"),
        ({"anomalies": [{"name": "x", "severity": "critical", "evidence": "y"}]}, "anomalies.0.severity"),
        ({"anomalies": [{"name": "x", "severity": "low", "evidence": "y", "fix": "rm"}]}, "anomalies.0.fix"),
        ({"summary": ""}, "summary"),
        ({"confidence": -0.1}, "confidence"),
        ({"action": "restart_web"}, "action: Extra inputs"),
    ],
)
def test_parse_analysis_rejects_schema_violations(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(OutputInvalid, match=reason):
        parse_analysis(json.dumps({**GOOD_ANALYSIS, **changes}))


def _object_nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [schema] if schema.get("type") == "object" else []
    for child in [*schema.get("properties", {}).values(), schema.get("items", {})]:
        nodes += _object_nodes(child) if child else []
    return nodes


@pytest.mark.parametrize(
    "schema",
    [analysis_schema(), plan_schema(CANDIDATES), cause_schema(["e1", "e2"], CANDIDATES)],
    ids=["analysis", "plan", "cause"],
)
def test_schemas_stay_in_the_strict_subset(schema: dict[str, Any]) -> None:
    """Every object closed and fully required (OpenAI strict mode); string lengths bound what a
    grammar-constrained model writes, and the OpenAI-compatible provider drops them in strict mode."""
    nodes = _object_nodes(schema)
    assert nodes
    for node in nodes:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert "maxLength" not in json.dumps(strict_subset(schema))


def test_a_worst_case_answer_fits_its_max_tokens() -> None:
    """Even one token per character (a model repeating "1.1.1."), the longest valid answer ends
    within the answer room, so grammar-constrained output is always complete JSON."""
    for schema, room in (
        (analysis_schema(), MAX_TOKENS["analyze"]),
        (plan_schema(CANDIDATES), MAX_TOKENS["plan"]),
        (cause_schema([f"e{i}" for i in range(1, 30)], CANDIDATES), MAX_TOKENS["analyze"]),
    ):
        assert _longest(schema) + 60 <= room, (_longest(schema), room)


def _longest(schema: dict[str, Any]) -> int:
    if schema.get("type") == "string":
        return int(schema.get("maxLength", 10**6)) if "enum" not in schema else max(map(len, schema["enum"]))
    if schema.get("type") == "array":
        return int(schema["maxItems"]) * (_longest(schema["items"]) + 2)
    if schema.get("type") == "object":
        return sum(_longest(v) + len(k) + 4 for k, v in schema["properties"].items())
    return 8


def test_plan_schema_enum_is_the_candidates_then_none_and_escalate() -> None:
    schema = plan_schema(["restart_web", "kill_web", "restart_web"])
    assert schema["properties"]["action"]["enum"] == ["restart_web", "kill_web", "none", "escalate"]
    assert schema["properties"]["params"] == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def _schema_accepts(schema: dict[str, Any], value: Any) -> bool:
    """Enough of JSON Schema for the subset the schemas use."""
    kind = schema.get("type")
    if kind == "object":
        return (
            isinstance(value, dict)
            and set(value) == set(schema["required"])
            and all(_schema_accepts(schema["properties"][k], v) for k, v in value.items())
        )
    if kind == "array":
        return (
            isinstance(value, list)
            and len(value) <= schema.get("maxItems", len(value))
            and all(_schema_accepts(schema["items"], v) for v in value)
        )
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok and schema.get("minimum", value) <= value <= schema.get("maximum", value)
    ok = isinstance(value, str)
    return ok and ("enum" not in schema or value in schema["enum"])


SCHEMA_CASES = [
    CLEAN,
    {**CLEAN, "action": "escalate"},
    {**CLEAN, "action": "rm_everything"},
    {**CLEAN, "action": "Restart_web"},
    {**CLEAN, "params": {"unit": "x"}},
    {**CLEAN, "command": "rm -rf /"},
    {k: v for k, v in CLEAN.items() if k != "risk"},
    {**CLEAN, "confidence": 1.5},
    {**CLEAN, "confidence": "0.9"},
    {**CLEAN, "confidence": True},
    {**CLEAN, "risk": "critical"},
    {**CLEAN, "rationale": 7},
]


@pytest.mark.parametrize("value", SCHEMA_CASES)
def test_plan_schema_and_parser_agree(value: dict[str, Any]) -> None:
    """The schema sent to the provider and the parser accept the same objects (the parser adds
    only what a schema cannot say for every backend: duplicates, sizes, non-empty text)."""
    try:
        parse_plan(json.dumps(value), CANDIDATES)
        parsed = True
    except OutputInvalid:
        parsed = False
    assert parsed == _schema_accepts(plan_schema(CANDIDATES), value)


def test_repair_messages_add_the_bad_answer_and_the_reason() -> None:
    rendered = Rendered((Message("system", "s"), Message("user", "u")), "plan.j2", "1")
    messages = repair_messages(rendered, "x" * 5000, "action must be exactly one of: a, none, escalate")
    assert messages[:2] == rendered.messages
    assert messages[2].role == "assistant" and len(messages[2].content) < 700
    assert messages[3].role == "user"
    assert "action must be exactly one of: a, none, escalate" in messages[3].content


CAUSE = {"cause": "hang", "evidence": ["e2"], "suggested": "kill_web"}
CAUSE_CASES = [
    CAUSE,
    {**CAUSE, "cause": "oom_kill", "evidence": [], "suggested": "none"},
    {**CAUSE, "cause": "it hung"},
    {**CAUSE, "suggested": "rm_everything"},
    {**CAUSE, "suggested": "escalate"},
    {**CAUSE, "evidence": ["e1", "e2", "e1", "e2"]},
    {**CAUSE, "evidence": "e2"},
    {**CAUSE, "summary": "invented"},
    {k: v for k, v in CAUSE.items() if k != "evidence"},
]


@pytest.mark.parametrize("value", CAUSE_CASES)
def test_the_structured_analysis_schema_and_parser_agree(value: dict[str, Any]) -> None:
    """A small model fills three fields from fixed lists; the parser accepts what the schema
    does (which evidence ids exist is grounding's check, not a parse error)."""
    try:
        parse_cause(json.dumps(value), CANDIDATES)
        parsed = True
    except OutputInvalid:
        parsed = False
    assert parsed == _schema_accepts(cause_schema(["e1", "e2"], CANDIDATES), value)


def test_the_structured_schema_offers_the_causes_the_evidence_ids_and_the_candidates() -> None:
    properties = cause_schema(["e1", "e2"], CANDIDATES)["properties"]
    assert properties["cause"]["enum"] == [
        "crash",
        "hang",
        "dependency",
        "resource_exhaustion",
        "oom_kill",
        "disk_io",
        "bad_config",
        "flapping",
        "unknown",
    ]
    assert properties["evidence"]["items"]["enum"] == ["e1", "e2"]
    assert properties["suggested"]["enum"] == ["restart_web", "kill_web", "none"]
    nothing = cause_schema([], CANDIDATES)["properties"]["evidence"]  # an enum is never empty
    assert nothing["maxItems"] == 0 and nothing["items"]["enum"]
