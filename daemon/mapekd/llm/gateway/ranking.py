"""Ranking through the gateway: score given answers instead of writing one.

Ranking is an optional capability of a provider (`mapekd.llm.base.Ranker`): the gateway asks
nothing more of the others. A caller first asks `Gateway.can_rank(role)`, whether every route a
call of that role may go to first can rank; if so, `Gateway.rank` goes through the same failover,
breakers, limits, budget and call records as a chat, over the routes that can rank only (a chat
answer is no ranking). Rank calls are recorded with kind `rank`; they write nothing, so their
reservation is the prompt alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mapekd.llm.base import Ranker
from mapekd.llm.gateway.route_order import Step
from mapekd.llm.gateway.routes import Route


@dataclass(frozen=True, slots=True)
class Ranked:
    scores: dict[str, float]
    """Each option's log-likelihood as the whole answer."""
    provider: str
    model: str


def can_rank(route: Route) -> bool:
    return all(isinstance(slot.provider, Ranker) for slot in route.slots)


def ranking_steps(steps: Sequence[Step]) -> list[Step]:
    return [step for step in steps if can_rank(step.route)]
