"""The knowledge source `fleet`: a remedy proven on other hosts decides with no LLM call, after
this host's own record (plan/sources.py) and before the LLM. Recorded with source `fleet`, told
apart from this host's own knowledge in the base, the metrics and the report."""

from __future__ import annotations

from mapekd.plan.proposal import Candidate, Proposal


def fleet_remedy(candidates: list[Candidate]) -> Proposal | None:
    """The rule's remedy the fleet proves (Candidate.fleet_proven) with the best fleet record;
    None when the fleet settles nothing (or there is no fleet)."""
    proven = [c for c in candidates if c.from_rule and c.fleet_proven and c.fleet_tries]
    if not proven:
        return None
    best = max(proven, key=lambda c: (c.fleet_successes / c.fleet_tries, c.fleet_hosts, c.fleet_successes))
    return Proposal(
        "act",
        best.name,
        "fleet",
        f"fleet: resolved {best.fleet_successes}/{best.fleet_tries} times on {best.fleet_hosts} hosts",
        confidence=round(best.fleet_successes / best.fleet_tries, 3),
        risk=best.risk,
    )
