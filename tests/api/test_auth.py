"""Bearer tokens: refused without a valid one (401), without the right (403); no token
configured refuses everything but /healthz; tokens from a file or the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from mapekd.api.auth import Tokens
from mapekd.api.errors import ApiError
from mapekd.config.api import ApiToken
from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError
from tests.api.harness import APPROVE, LLM, READ, Api, FakeLoop, bearer

ENDPOINTS = [
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/llm/status"),
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/1"),
    ("GET", "/api/v1/approvals"),
    ("POST", "/api/v1/approvals/1"),
    ("POST", "/api/v1/alerts"),
    ("POST", "/api/v1/llm/generate"),
    ("POST", "/api/v1/llm/chat"),
    ("POST", "/v1/chat/completions"),
    ("GET", "/v1/models"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/chat/jobs"),
    ("GET", "/v1/chat/jobs/job-1"),
]


async def test_without_tokens_only_healthz_answers(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"tokens": []}, loop=FakeLoop(None)) as api:
        assert (await api.client.get("/healthz")).json() == {"status": "ok"}
        for method, path in ENDPOINTS:
            response = await api.client.request(method, path, headers=bearer(READ), json={})
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "no_tokens"


async def test_invalid_or_missing_token_is_401_missing_right_is_403(tmp_path: Path) -> None:
    async with Api(tmp_path, loop=FakeLoop(None)) as api:
        for method, path in ENDPOINTS:
            missing = await api.client.request(method, path, json={})
            wrong = await api.client.request(method, path, headers=bearer(READ + "x"), json={})
            assert missing.status_code == wrong.status_code == 401, path
            assert missing.headers["www-authenticate"].startswith("Bearer")
            assert wrong.json()["error"]["type"] == "authentication_error"
        assert (
            await api.client.post("/v1/chat/completions", headers=bearer(READ), json={})
        ).status_code == 403
        assert (await api.client.get("/api/v1/status", headers=bearer(LLM))).status_code == 403
        assert (await api.client.post("/api/v1/alerts", headers=bearer(APPROVE), json={})).status_code == 403


def test_identify_compares_every_token_and_rejects_other_schemes() -> None:
    tokens = Tokens.from_config(
        [
            ApiToken(name="a", token="a" * 16, rights=["read"]),
            ApiToken(name="b", token="b" * 40, rights=["llm"]),
        ]
    )
    assert tokens.identify("Bearer " + "b" * 40).name == "b"  # type: ignore[union-attr]
    assert tokens.identify("bearer " + "a" * 16).name == "a"  # type: ignore[union-attr]
    assert tokens.identify("Basic " + "a" * 16) is None
    assert tokens.identify("Bearer " + "a" * 15) is None
    assert tokens.identify(None) is None


def test_token_file_and_environment(tmp_path: Path) -> None:
    secret = tmp_path / "ops.token"
    secret.write_text("  file-token-0123456789\n")
    secret.chmod(0o600)
    config = tmp_path / "mapekd.yaml"
    config.write_text(
        "api:\n  tokens:\n"
        f"    - {{name: ops, token_file: {secret}, rights: [read]}}\n"
        "    - {name: apps, token: placeholder-0000000000, rights: [llm]}\n"
    )
    settings = load_settings(config, {"MAPEKD_API__TOKENS__APPS__TOKEN": "from-the-environment-42"})
    tokens = Tokens.from_config(settings.api.tokens)
    assert tokens.identify("Bearer file-token-0123456789").name == "ops"  # type: ignore[union-attr]
    assert tokens.identify("Bearer from-the-environment-42").name == "apps"  # type: ignore[union-attr]
    assert tokens.identify("Bearer placeholder-0000000000") is None
    assert "from-the-environment-42" not in repr(settings)


def test_unreadable_token_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Tokens.from_config([ApiToken(name="ops", token_file=str(tmp_path / "missing"), rights=["read"])])
    assert caught.value.path == "api.tokens[0].token_file"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_token_file_open_to_group_or_others_is_a_config_error(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "ops.token"
    secret.write_text("file-token-0123456789\n")
    secret.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        Tokens.from_config([ApiToken(name="ops", token_file=str(secret), rights=["read"])])
    assert caught.value.path == "api.tokens[0].token_file"
    assert f"{mode:04o}" in str(caught.value)
    secret.chmod(0o400)
    assert len(Tokens.from_config([ApiToken(name="ops", token_file=str(secret), rights=["read"])])) == 1


def test_require_needs_the_right() -> None:
    tokens = Tokens.from_config([ApiToken(name="ops", token="t" * 20, rights=["read"])])
    scope = {"type": "http", "headers": [(b"authorization", b"Bearer " + b"t" * 20)]}
    assert tokens.require(Request(scope), "read").name == "ops"
    with pytest.raises(ApiError) as caught:
        tokens.require(Request(scope), "approve")
    assert caught.value.status == 403
