"""The loader: YAML + environment -> Settings, errors naming the key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.config.durations import parse_duration
from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("5s", 5.0), ("2m", 120.0), ("1h", 3600.0), ("1d", 86400.0), (7, 7.0), ("1.5s", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5", "5 minutes", "-1s", True, "s", ""])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_embedded_defaults() -> None:
    settings = load_settings(None)
    assert [c.type for c in settings.checks] == ["host"]
    assert settings.policy.max_actions == 3 and settings.daemon.dry_run is False


@pytest.mark.parametrize("name", ["example.yaml", "full.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    load_settings(REPO / "config" / name)


def test_environment_overrides_paths_and_secrets(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("actions:\n  - name: Page\n    type: webhook\n    url: http://127.0.0.1:1/\n")
    settings = load_settings(
        path,
        {
            "MAPEKD_KNOWLEDGE__PATH": "/srv/kb.db",
            "MAPEKD_DAEMON__DRY_RUN": "true",
            "MAPEKD_DAEMON__INTERVAL": "2m",
            "MAPEKD_ACTIONS__PAGE__HEADERS__AUTHORIZATION": "Bearer t0ken",
            "MAPEKD_CONFIG": "ignored",
            "OTHER": "x",
        },
    )
    assert settings.knowledge.path == "/srv/kb.db"
    assert settings.daemon.dry_run is True and settings.daemon.interval == 120.0
    hook = settings.actions[0]
    # Variable names are upper case; HTTP header names are case-insensitive anyway.
    assert hook.headers["authorization"].get_secret_value() == "Bearer t0ken"  # type: ignore[union-attr]
    assert "t0ken" not in repr(settings)


def test_environment_override_of_unknown_item_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MAPEKD_ACTIONS__NOPE__URL"):
        load_settings(None, {"MAPEKD_ACTIONS__NOPE__URL": "x"})
    with pytest.raises(ConfigError, match=r"knowledge\.pth: unknown key"):
        load_settings(None, {"MAPEKD_KNOWLEDGE__PTH": "x"})


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("daemon:\n  interval: 5s\n  bad: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.line is not None and "invalid YAML" in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings("/nonexistent/mapekd.yaml")


def test_signal_action_needs_a_process_check(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("actions:\n  - name: k\n    type: signal\n    check: host\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.path == "actions[0].check" and info.value.line == 4
