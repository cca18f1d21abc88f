from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from ..conftest import requires_llama
from ..fakes.script import FaultKind
from .harness import HARNESSES, Harness


def harness_kinds(fault: FaultKind | None = None) -> list[Any]:
    """Parameters for `harness` (indirect): every provider, or those able to produce `fault`."""
    return [
        pytest.param(kind, marks=[requires_llama] if kind == "local_llama" else [])
        for kind, cls in HARNESSES.items()
        if fault is None or fault in cls.faults
    ]


@pytest.fixture
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    h = HARNESSES[request.param]()
    async with AsyncExitStack() as stack:
        await h.start(stack, tmp_path)
        try:
            yield h
        finally:
            await h.close_all()
