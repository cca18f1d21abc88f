"""How big each reliability suite runs. Unset RELIABILITY_SIZE (the `make test` run): a short
version of each, well under a minute; `full` (`make test-reliability`): the sizes of the issue.
RELIABILITY_SOAK_SECONDS overrides the soak's length either way (86400 for the 24 h mode).

They do not start with MAPEKD_ on purpose: a daemon reads every MAPEKD_ variable as a
configuration override (and refuses unknown keys). `sized(monkeypatch)` also keeps them from the
processes a suite starts; `sizes()` alone sizes a test's timeout mark."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pytest

VARIABLES = ("RELIABILITY_SIZE", "RELIABILITY_SOAK_SECONDS", "RELIABILITY_FUZZ_EXAMPLES")
"""The test suites' own variables, never the daemon's configuration."""


@dataclass(frozen=True)
class Sizes:
    chaos_rounds: int
    """How many times each provider fault is played."""
    kills: int
    """SIGKILLs of the daemon in the crash-consistency suite."""
    soak_seconds: float
    sample_every: float = 5.0
    """Seconds between two samples of the soaked daemon's RSS and fd count."""
    freeze_seconds: float = 8.0
    """How long the fleet's PostgreSQL is frozen (SIGSTOP) while a daemon heals."""


SHORT = Sizes(chaos_rounds=1, kills=10, soak_seconds=30.0)
FULL = Sizes(chaos_rounds=3, kills=200, soak_seconds=3600.0, freeze_seconds=60.0)


def sizes(env: Mapping[str, str] | None = None) -> Sizes:
    env = os.environ if env is None else env
    mode = env.get("RELIABILITY_SIZE", "")
    if mode not in ("", "full"):
        raise ValueError(f"RELIABILITY_SIZE={mode!r}: expected unset or 'full'")
    chosen = FULL if mode == "full" else SHORT
    soak = env.get("RELIABILITY_SOAK_SECONDS")
    return chosen if soak is None else replace(chosen, soak_seconds=float(soak))


def sized(monkeypatch: pytest.MonkeyPatch) -> Sizes:
    """The sizes, the variables that set them then removed from this test's environment."""
    chosen = sizes()
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return chosen
