"""The `api:` section: safe defaults, and refusals naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "mapekd.yaml"
    path.write_text(text)
    return load_settings(path, {})


def test_defaults_are_off_and_on_loopback() -> None:
    api = load_settings(None, {}).api
    assert api.enabled is False and api.host == "127.0.0.1" and api.tokens == []


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("api:\n  limits: {blocked_patterns: ['ok', '(unclosed']}\n", "api.limits.blocked_patterns", "regex"),
        ("api:\n  tokens: [{name: a, rights: [read]}]\n", "api.tokens[0]", "exactly one of token"),
        ("api:\n  tokens: [{name: a, token: short, rights: [read]}]\n", "api.tokens[0]", "16 characters"),
        (
            "api:\n  tokens: [{name: a, token: aaaaaaaaaaaaaaaaaaaa, rights: [root]}]\n",
            "api.tokens[0].rights[0]",
            "",
        ),
        (
            "api:\n  tokens: [{name: a, token: aaaaaaaaaaaaaaaaaaaa, rights: []}]\n",
            "api.tokens[0].rights",
            "",
        ),
        ("checks: [{name: am, type: alertmanager, max_alerts: 0}]\n", "checks[0].max_alerts", ""),
    ],
)
def test_refusals_name_the_key(tmp_path: Path, text: str, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert caught.value.path == where
    assert message in caught.value.message


def test_duplicate_token_names(tmp_path: Path) -> None:
    text = (
        "api:\n  tokens:\n"
        "    - {name: a, token: aaaaaaaaaaaaaaaaaaaa, rights: [read]}\n"
        "    - {name: a, token: bbbbbbbbbbbbbbbbbbbb, rights: [read]}\n"
    )
    with pytest.raises(ConfigError, match="duplicate token name"):
        load(tmp_path, text)
