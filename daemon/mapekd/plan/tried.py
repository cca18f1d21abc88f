"""Within one incident, a remedy that was tried and did not resolve is not chosen again while an
untried candidate remains: the candidates every source sees (knowledge, LLM, rule) leave it out,
so an LLM naming it is turned down by the guardrail like any name outside the candidates.

One exception, from the per-cause record (signature + cause fingerprint): a remedy that needs a
second try for this cause. It is kept for one more try when that record shows it resolved this
cause at least `plan.knowledge_min_successes` times and at most as many unresolved tries as
successes (each success cost at most one failed try before it: the second try works).

When every candidate was tried, the least-tried ones remain (the rule's order, the record and the
policy's action cap decide among them). The ledger lives in memory: a restarted daemon starts each
open incident afresh (its first decision after a restart may repeat one remedy).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate

KEPT_INCIDENTS = 4096
"""Incidents whose tried remedies are remembered (the oldest forgotten first)."""


@dataclass(frozen=True)
class Narrowed:
    candidates: list[Candidate]
    """What the sources may choose from."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Candidate name -> why it was left out (told in the decision record)."""

    def explain(self, reason: str) -> str:
        if not self.skipped:
            return reason
        why = "; ".join(f"skipped {name}: {detail}" for name, detail in self.skipped.items())
        return f"{reason}; {why}"


class TriedRemedies:
    """incident id -> how often each remedy was tried on it without resolving it."""

    def __init__(self) -> None:
        self._tries: dict[int, Counter[str]] = {}

    def record(self, incident_id: int, action: str, outcome: str) -> None:
        if outcome == "resolved":
            return
        self._tries.setdefault(incident_id, Counter())[action] += 1
        while len(self._tries) > KEPT_INCIDENTS:
            del self._tries[next(iter(self._tries))]

    def carry_over(self, earlier: int, later: int) -> None:
        """`later` continues `earlier` (a relapse, a grouped incident): what failed there counts."""
        if earlier in self._tries:
            self._tries.setdefault(later, Counter()).update(self._tries[earlier])

    def forget(self, incident_id: int) -> None:
        self._tries.pop(incident_id, None)

    def of(self, incident_id: int) -> Counter[str]:
        return Counter(self._tries.get(incident_id, {}))

    def narrow(self, incident_id: int, candidates: list[Candidate], config: PlanConfig) -> Narrowed:
        return narrow(candidates, self.of(incident_id), config)


def needs_second_try(candidate: Candidate, config: PlanConfig) -> bool:
    """This cause's record says the remedy works on a second try (see the module's docstring)."""
    ok, tries = candidate.cause_successes, candidate.cause_tries
    return ok >= config.knowledge_min_successes and tries - ok <= ok


def narrow(candidates: list[Candidate], tried: Counter[str], config: PlanConfig) -> Narrowed:
    """The candidates left after the remedies this incident already tried without success."""
    if not tried:
        return Narrowed(list(candidates))
    keep, skipped = [], {}
    for c in candidates:
        n = tried.get(c.name, 0)
        if n == 0 or (n == 1 and needs_second_try(c, config)):
            keep.append(c)
        else:
            skipped[c.name] = f"tried {n}x in this incident without resolving it"
    if keep:
        return Narrowed(keep, skipped)
    fewest = min(tried.get(c.name, 0) for c in candidates)
    least = [c for c in candidates if tried.get(c.name, 0) == fewest]
    return Narrowed(least, {n: why for n, why in skipped.items() if tried[n] > fewest})
