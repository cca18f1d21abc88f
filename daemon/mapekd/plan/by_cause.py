"""The decision by cause class: the remedies that treat the cause the evidence shows.

After knowledge for this very cause (the fingerprint's record, which wins over any class):

    class known (not `unknown`) and a candidate declares `treats`
        -> only the rule's remedies that treat it (or declare nothing: any cause), in the rule's
           order, knowledge ranking among them as for any rule remedy
        -> none treats it: escalate, saying which cause and the lines that show it
    class unknown, not gathered, or no candidate declares `treats` -> nothing changes

Deterministic and cheap: no LLM call; the class was read once when the evidence was gathered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mapekd.config.settings import PlanConfig
from mapekd.evidence.classify import UNKNOWN, Classified
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.plan.sources import proven_remedy


@dataclass(frozen=True, slots=True)
class ByCause:
    candidates: list[Candidate]
    """The candidates to choose among (all of them when the class decides nothing)."""
    note: str = ""
    """`cause dependency (e3: ...)` when the class narrowed the choice, else empty."""
    escalate: Proposal | None = None
    """Set when the class is known and no candidate treats it."""

    @property
    def applies(self) -> bool:
        return bool(self.note)


def by_cause(candidates: list[Candidate], cause: Classified | None) -> ByCause:
    if cause is None or cause.cause == UNKNOWN or not any(c.treats for c in candidates):
        return ByCause(candidates)
    cited = cause.citation()
    note = f"cause {cause.cause}" + (f" ({cited})" if cited else "")
    treating = [c for c in candidates if not c.treats or cause.cause in c.treats]
    if not treating:
        why = f"{note}: no remedy treats it"
        return ByCause([], note, Proposal("escalate", None, "rule", why))
    return ByCause(treating, note)


def proven_for_cause(candidates: list[Candidate], config: PlanConfig) -> Proposal | None:
    """A remedy proven for this incident's fingerprint, whatever class it declares: what
    resolved this very cause before outweighs a reading of its lines. (The signature's record
    is not asked: it mixes causes, which is what the class tells apart.)"""
    cause_only = [replace(c, successes=c.cause_successes, tries=c.cause_tries) for c in candidates]
    return proven_remedy(cause_only, config)
