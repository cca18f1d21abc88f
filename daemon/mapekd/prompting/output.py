"""What the models must answer: typed outputs, their JSON schemas, strict parsing, one repair.

The schemas stay inside the subset every structured-output backend accepts (OpenAI strict mode,
Ollama's `format`, llama.cpp grammars): every property required, no extra properties, enums, no
string length limits (OpenAI's strict mode rejects them). Lengths are enforced when parsing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapekd.llm.types import Message
from mapekd.prompting.answer import load_object
from mapekd.prompting.env import Rendered
from mapekd.prompting.errors import OutputInvalid

Level = Literal["low", "medium", "high"]
LEVELS = ["low", "medium", "high"]
NO_ACTION = "none"
ESCALATE = "escalate"
MAX_ANOMALIES = 2


class Answer(BaseModel):
    # strict: "0.9" is not a number and true is not a confidence.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


_M = TypeVar("_M", bound=Answer)


class Anomaly(Answer):
    name: str = Field(min_length=1, max_length=120)
    severity: Level
    evidence: str = Field(min_length=1, max_length=400)


class ProseAnalysis(Answer):
    """What a capable model writes: a summary, the anomalies it sees, the suspected cause."""

    summary: str = Field(min_length=1, max_length=800)
    anomalies: list[Anomaly] = Field(max_length=MAX_ANOMALIES)
    suspected_cause: str = Field(min_length=1, max_length=600)
    confidence: float = Field(ge=0.0, le=1.0)


class PlanProposal(Answer):
    action: str = Field(max_length=64)
    params: dict[str, str]
    risk: Level
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str = Field(min_length=1, max_length=600)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _text(max_chars: int) -> dict[str, Any]:
    # maxLength bounds what a grammar-constrained model may write: a small model that starts
    # repeating itself is cut off by the grammar and still closes valid JSON within max_tokens.
    return {"type": "string", "minLength": 1, "maxLength": max_chars}


_LEVEL = {"type": "string", "enum": LEVELS}
_CONFIDENCE = {"type": "number", "minimum": 0, "maximum": 1}


def analysis_schema() -> dict[str, Any]:
    anomaly = _object({"name": _text(40), "severity": _LEVEL, "evidence": _text(80)})
    anomalies = {"type": "array", "items": anomaly, "maxItems": MAX_ANOMALIES}
    return _object(
        {
            "summary": _text(160),
            "anomalies": anomalies,
            "suspected_cause": _text(100),
            "confidence": _CONFIDENCE,
        }
    )


def plan_choices(candidates: Sequence[str]) -> list[str]:
    """The names a plan answer may give: the candidates (in order, once each), none, escalate."""
    return list(dict.fromkeys([*candidates, NO_ACTION, ESCALATE]))


def plan_schema(candidates: Sequence[str]) -> dict[str, Any]:
    # No action accepts parameters from the model today: params is the empty object, always.
    params = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    action = {"type": "string", "enum": plan_choices(candidates)}
    return _object(
        {
            "action": action,
            "params": params,
            "risk": _LEVEL,
            "confidence": _CONFIDENCE,
            "rationale": _text(140),
        }
    )


def parse_analysis(text: str) -> ProseAnalysis:
    return validate(ProseAnalysis, load_object(text))


def parse_plan(text: str, candidates: Sequence[str]) -> PlanProposal:
    """Exact names only: no case folding, no Unicode normalisation, no trimming."""
    proposal = validate(PlanProposal, load_object(text))
    choices = plan_choices(candidates)
    if proposal.action not in choices:
        raise OutputInvalid(f"action must be exactly one of: {', '.join(choices)}")
    if proposal.params:
        raise OutputInvalid("params must be {}: no action takes parameters from the model")
    return proposal


def validate(model: type[_M], value: dict[str, Any]) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise OutputInvalid(f"{where}: {first['msg']}") from exc


def repair_messages(
    rendered: Rendered, bad_text: str, reason: str, *, max_chars: int = 600
) -> tuple[Message, ...]:
    """The one repair attempt: the conversation so far, the rejected answer (its start: it goes
    back into a small context window), and what was wrong with it."""
    shown = bad_text if len(bad_text) <= max_chars else bad_text[:max_chars] + " [cut]"
    ask = (
        f"Your answer was rejected: {reason}. Answer again with exactly one JSON object "
        "in the format asked for, and nothing else."
    )
    return (*rendered.messages, Message("assistant", shown), Message("user", ask))
