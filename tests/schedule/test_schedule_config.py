"""The schedule's configuration: `checks[].interval` (positive, default daemon.interval),
`knowledge.maintenance` (a 5-field cron expression, checked when the configuration is read) and
`knowledge.retention`; errors name the key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError


def test_defaults_nightly_maintenance_and_ninety_days_of_incidents() -> None:
    knowledge = load_settings(None).knowledge
    assert knowledge.maintenance == "30 3 * * *" and knowledge.retention == 90 * 86400


@pytest.mark.parametrize(
    ("yaml", "path", "line", "message"),
    [
        ("knowledge:\n  maintenance: '30 3 * *'\n", "knowledge.maintenance", 2, "5 fields"),
        ("knowledge:\n  maintenance: '30 25 * * *'\n", "knowledge.maintenance", 2, "'30 25 \\* \\* \\*'"),
        ("knowledge:\n  retention: soon\n", "knowledge.retention", 2, "invalid duration"),
        (
            "checks:\n  - name: host\n    type: host\n    interval: 0s\n",
            "checks[0].interval",
            4,
            "greater than 0",
        ),
        ("daemon:\n  interval: 0s\n", "daemon.interval", 2, "greater than 0"),
    ],
)
def test_bad_schedule_keys_are_named(tmp_path: Path, yaml: str, path: str, line: int, message: str) -> None:
    config = tmp_path / "mapekd.yaml"
    config.write_text(yaml)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(config)
    assert (info.value.path, info.value.line) == (path, line)
