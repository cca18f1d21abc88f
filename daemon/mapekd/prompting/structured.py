"""The structured analysis a small model fills instead of writing prose: a cause class from a
fixed list, the ids of the evidence items it rests on, and the candidate it would try.

Generated under a JSON schema whose enums are this incident's evidence ids and candidates, so
a grammar-constrained model cannot name anything else; the parser checks the same again for a
backend that ignores the schema. Whether the cited ids exist is grounding's question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from pydantic import Field

from mapekd.evidence.classify import CAUSE_CLASSES, CauseClass
from mapekd.prompting.answer import load_object
from mapekd.prompting.errors import OutputInvalid
from mapekd.prompting.output import NO_ACTION, Answer, ProseAnalysis, validate

Cause = CauseClass
"""The classes the deterministic classifier reads from the evidence: one list for both."""
CAUSES: tuple[str, ...] = CAUSE_CLASSES
MAX_CITED = 3


class CauseAnalysis(Answer):
    cause: Cause
    evidence: list[str] = Field(max_length=MAX_CITED)
    """Ids of the evidence items it rests on (`e1`, `e2`...)."""
    suggested: str = Field(max_length=64)
    """One of the candidates, or `none`."""


Analysis: TypeAlias = ProseAnalysis | CauseAnalysis
"""An incident's analysis, in either style."""


def suggestions(candidates: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*candidates, NO_ACTION]))


def cause_schema(evidence_ids: Sequence[str], candidates: Sequence[str]) -> dict[str, Any]:
    # An enum may not be empty: with no evidence to cite, the array may hold nothing at all.
    ids = list(evidence_ids) or ["none"]
    cited = {
        "type": "array",
        "items": {"type": "string", "enum": ids},
        "maxItems": MAX_CITED if evidence_ids else 0,
    }
    properties = {
        "cause": {"type": "string", "enum": list(CAUSES)},
        "evidence": cited,
        "suggested": {"type": "string", "enum": suggestions(candidates)},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def parse_cause(text: str, candidates: Sequence[str]) -> CauseAnalysis:
    analysis = validate(CauseAnalysis, load_object(text))
    if analysis.suggested not in suggestions(candidates):
        raise OutputInvalid(f"suggested must be exactly one of: {', '.join(suggestions(candidates))}")
    return analysis
