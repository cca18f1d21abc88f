from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from mapekd.llm.cache import SemanticCache
from mapekd.llm.cache.embedders import Vector

from .doubles import FakeClock


class TableEmbedder:
    """Vectors from a table: tests choose the similarity directly."""

    name = "table"

    def __init__(self, table: dict[str, Vector]) -> None:
        self.table = table
        self.calls = 0

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.calls += 1
        return [self.table[t] for t in texts]


def cache(table: dict[str, Vector], clock: FakeClock | None = None) -> SemanticCache[str]:
    return SemanticCache(
        TableEmbedder(table), threshold=0.95, max_entries=4, ttl=60, clock=clock or FakeClock()
    )


async def test_hit_above_threshold_is_logged_with_similarity(
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = cache({"restart nginx": (1.0, 0.0), "please restart nginx": (0.99, 0.141)})
    miss = await c.lookup("s", "restart nginx")
    assert miss.value is None
    c.put("s", "restart nginx", miss.vector, "done")
    with caplog.at_level(logging.INFO, logger="mapekd.llm.cache.semantic"):
        hit = await c.lookup("s", "please restart nginx")
    assert hit.value == "done" and hit.similarity == pytest.approx(0.99, abs=1e-3)
    assert "similarity=0.99" in caplog.text


async def test_below_threshold_misses() -> None:
    c = cache({"a": (1.0, 0.0), "b": (0.9, 0.436)})
    c.put("s", "a", (1.0, 0.0), "A")
    assert (await c.lookup("s", "b")).value is None


async def test_other_scope_never_hits() -> None:
    c = cache({"restart nginx": (1.0, 0.0)})
    c.put("model-a", "restart nginx", (1.0, 0.0), "A")
    assert (await c.lookup("model-b", "restart nginx")).value is None


async def test_guard_refuses_near_identical_vectors_with_flipped_meaning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = cache({"turn on the lights": (1.0, 0.0), "turn off the lights": (0.999, 0.045)})
    c.put("s", "turn on the lights", (1.0, 0.0), "lights on")
    with caplog.at_level(logging.INFO):
        found = await c.lookup("s", "turn off the lights")
    assert found.value is None and found.similarity > 0.99
    assert c.guard_blocks == 1 and "actions differ" in caplog.text


async def test_ttl_and_size_bound() -> None:
    clock = FakeClock()
    c = cache({f"q{i}": (1.0, 0.0) for i in range(6)}, clock)
    for i in range(6):
        c.put("s", f"q{i}", (1.0, 0.0), str(i))
    assert c.snapshot()["entries"] == 4
    clock.advance(61)
    assert (await c.lookup("s", "q5")).value is None
    assert c.snapshot()["entries"] == 0
