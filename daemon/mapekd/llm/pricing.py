"""Prices per million input and output tokens, and the cost of a call.

A model is looked up as `provider/model` first, then `model`. A model with no price costs 0
(local models); each such model is reported once by `unpriced` so that a missing price on a paid
API shows up in status instead of silently passing every budget.
"""

from __future__ import annotations

from collections.abc import Mapping

from mapekd.llm.config import ModelPrice
from mapekd.llm.types import Usage

_FREE = ModelPrice()
MTOK = 1_000_000


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = dict(prices)
        self._resolved: dict[tuple[str, str], ModelPrice] = {}
        self.unpriced: set[str] = set()

    def price(self, provider: str, model: str) -> ModelPrice:
        found = self._resolved.get((provider, model))
        if found is None:
            found = self._prices.get(f"{provider}/{model}") or self._prices.get(model)
            if found is None:
                self.unpriced.add(f"{provider}/{model}")
                found = _FREE
            if len(self._resolved) < 10_000:
                self._resolved[(provider, model)] = found
        return found

    def cost(self, provider: str, model: str, usage: Usage) -> float:
        return self.cost_of(provider, model, usage.input_tokens, usage.output_tokens)

    def cost_of(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float:
        price = self.price(provider, model)
        return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / MTOK
