"""Maintenance windows from cron expressions, computed from the time given (never the clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mapekd.config.loader import load_settings
from mapekd.config.settings import MaintenanceWindow
from mapekd.errors import ConfigError
from mapekd.plan.windows import Windows


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)  # 2026-12-07 is a Monday


def test_a_window_is_open_for_its_duration_after_each_opening() -> None:
    w = Windows([MaintenanceWindow(cron="0 2 * * mon-fri", duration=7200, timezone="UTC")])
    assert not w.open_at(at(7, 1, 59))
    assert w.open_at(at(7, 2, 0)) and w.open_at(at(7, 3, 59))
    assert not w.open_at(at(7, 4, 0))
    assert not w.open_at(at(12, 2, 30)), "Saturday: no window"
    assert w.next_start(at(7, 12)) == at(8, 2)
    assert w.next_start(at(11, 12)) == at(14, 2), "Friday noon: the next one is on Monday"
    assert w.end_of_next(at(7, 12)) == at(8, 4)


def test_the_earliest_of_several_windows() -> None:
    w = Windows(
        [
            MaintenanceWindow(cron="0 2 * * *", duration=3600, timezone="UTC"),
            MaintenanceWindow(cron="30 13 * * *", duration=600, timezone="UTC"),
        ]
    )
    assert w.next_start(at(7, 12)) == at(7, 13, 30)
    assert w.open_at(at(7, 13, 35)) and not w.open_at(at(7, 13, 45))
    assert not Windows([])


@pytest.mark.parametrize("cron", ["0 2 * *", "61 * * * *", "0 2 * * funday"])
def test_a_bad_expression_is_a_config_error_at_its_key(tmp_path: Path, cron: str) -> None:
    path = tmp_path / "mapekd.yaml"
    path.write_text(json.dumps({"policy": {"windows": [{"cron": cron, "duration": "1h"}]}}))
    with pytest.raises(ConfigError, match=r"invalid maintenance window") as raised:
        load_settings(path, {})
    assert raised.value.path.startswith("policy.windows")
