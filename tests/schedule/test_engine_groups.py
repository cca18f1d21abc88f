"""A group's collection collects only its checks and evaluates only the rules on them; `cycle()`
(`run --once`) still collects everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mapekd.config.settings import Settings
from mapekd.engine import Engine
from mapekd.knowledge.store import SqliteStore
from mapekd.shared_http import SharedHttp


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    settings = Settings.model_validate(
        {
            "daemon": {"interval": "30s", "dry_run": True},
            "checks": [
                {"name": "fast", "type": "host", "interval": "1s", "mounts": []},
                {"name": "slow", "type": "host", "mounts": []},
            ],
            "rules": [  # always true: a rule that is evaluated opens an incident
                {"name": "fast_seen", "check": "fast", "when": "ok == true"},
                {"name": "slow_seen", "check": "slow", "when": "ok == true"},
            ],
            "knowledge": {"path": str(tmp_path / "kb.db")},
            "llm": {"embedded": False},
        }
    )
    store = SqliteStore(settings.knowledge.path)
    http = SharedHttp()
    built = Engine.build(settings, store, http, dry_run=True, base_env={})
    yield built
    await built.healer.drain(5.0)
    await http.aclose()
    store.close()


def opened(engine: Engine) -> list[str]:
    return sorted(str(row["rule"]) for row in engine.store.active_incidents())


async def test_a_group_collects_its_checks_and_evaluates_only_their_rules(engine: Engine) -> None:
    await engine.collect_group(["fast"])
    assert engine.history.targets("fast") == ["host"] and engine.history.targets("slow") == []
    assert opened(engine) == ["fast_seen"]
    await engine.collect_group(["slow", "gone_by_reload"])  # a name no longer configured is ignored
    assert engine.history.targets("slow") == ["host"]
    assert opened(engine) == ["fast_seen", "slow_seen"]


async def test_a_cycle_collects_every_check_and_evaluates_every_rule(engine: Engine) -> None:
    await engine.cycle()
    assert opened(engine) == ["fast_seen", "slow_seen"]
