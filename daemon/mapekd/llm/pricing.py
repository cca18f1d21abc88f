"""Prices per million input and output tokens, and the cost of a call.

A call is priced by the model the gateway ASKED for (the request's, the role's, or the key's or
provider's configured model), not by the name the provider answers with: OpenAI answers a request
for `gpt-4o-mini` as `gpt-4o-mini-2024-07-18`. Only when nothing was asked for (the provider
chose its default) is the reported name priced. Lookup order, first match wins:

    provider/model, model                 exact
    provider/base, base                   base = model less a dated snapshot suffix:
                                          -YYYY-MM-DD, -YYYYMMDD, @YYYYMMDD or @YYYY-MM-DD

so `gpt-4o-mini: {...}` prices `gpt-4o-mini-2024-07-18` too, and a dated key still wins for its
own snapshot. A model priced at 0 (`llama3.2: {}`) is free on purpose.

A model with no price on a paid provider is charged 0: its worst-case hold is 0 and budgets
cannot limit it. It is never silently free: it is listed in `unpriced` (status), warned about
once per model, and its calls are counted (`llm_unpriced_calls_total`). Providers that run no
paid API (types offline and local_llama) are free by definition and never reported.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mapekd.llm.config import ModelPrice
from mapekd.llm.types import Usage

log = logging.getLogger("mapekd.llm.pricing")

MTOK = 1_000_000
MAX_RESOLVED = 10_000
"""Resolutions kept: a caller sending ever new model names cannot grow the cache without bound."""
SNAPSHOT_SUFFIX = re.compile(r"[-@](?:\d{4}-\d{2}-\d{2}|\d{8})$")


def snapshot_base(model: str) -> str | None:
    """`gpt-4o-mini-2024-07-18` -> `gpt-4o-mini`; None when the name has no dated suffix."""
    base = SNAPSHOT_SUFFIX.sub("", model)
    return base if base and base != model else None


@dataclass(frozen=True, slots=True)
class Price:
    """A resolved price: per million tokens, and whether a price was found at all."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    unpriced: bool = False
    """No key matched on a provider that may charge: charged 0, reported."""

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / MTOK


FREE = Price()
UNPRICED = Price(unpriced=True)


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice], *, free_providers: Iterable[str] = ()) -> None:
        self._prices = {k: Price(p.input_per_mtok, p.output_per_mtok) for k, p in prices.items()}
        self._free = frozenset(free_providers)
        self._resolved: dict[tuple[str, str], Price] = {}
        self.unpriced: set[str] = set()
        """`provider/model` of every model that had no price, for status."""

    def price(self, provider: str, model: str) -> Price:
        """The price of `model` on `provider`, resolved once per pair. An empty model (the
        provider's default, not known before its answer) holds 0 and is not reported."""
        found = self._resolved.get((provider, model))
        if found is None:
            found = self._lookup(provider, model)
            if len(self._resolved) < MAX_RESOLVED:
                self._resolved[(provider, model)] = found
        return found

    def _lookup(self, provider: str, model: str) -> Price:
        if not model:
            return FREE
        names = [model]
        base = snapshot_base(model)
        if base is not None:
            names.append(base)
        for name in names:
            found = self._prices.get(f"{provider}/{name}") or self._prices.get(name)
            if found is not None:
                return found
        if provider in self._free:
            return FREE
        key = f"{provider}/{model}"
        if key not in self.unpriced:
            self.unpriced.add(key)
            log.warning(
                "no price for model %r of provider %r: its calls are charged 0 and budgets do not "
                "limit them; add it under llm.prices (e.g. %r)",
                model,
                provider,
                base or model,
            )
        return UNPRICED

    def cost(self, provider: str, model: str, usage: Usage) -> float:
        return self.price(provider, model).cost(usage.input_tokens, usage.output_tokens)

    def cost_of(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float:
        return self.price(provider, model).cost(input_tokens, output_tokens)
