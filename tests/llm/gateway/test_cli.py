"""`mapekd llm status | chat | smoke`, run on LLMSettings and scripted providers."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from mapekd.cli import llm as cli
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.budget import start_of_utc_day
from mapekd.llm.config import LLMSettings
from mapekd.llm.errors import AuthenticationFailed
from mapekd.llm.providers.config import ProviderConfig
from mapekd.llm.types import CallRecord, Usage

from .doubles import ScriptedProvider, provider

SETTINGS = LLMSettings.model_validate({"providers": [provider("a"), provider("b")]})


class Factory:
    def __init__(self) -> None:
        self.made: dict[str, ScriptedProvider] = {}

    def __call__(self, cfg: ProviderConfig, key: SecretStr | None, model: str | None) -> Any:
        made = ScriptedProvider(cfg.name, model, None, default='{"status": "ok"}')
        self.made[cfg.name] = made
        return made


def parse(argv: list[str], factory: Factory) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(argv)
    args.config = None
    args.llm_settings = SETTINGS
    args.gateway_options = {"provider_factory": factory}
    return args


def test_status(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["llm", "status"], Factory())
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "NAME" in out and "closed" in out and "semantic cache: off" in out
    assert "exact cache: 0/1024 entries" in out


def test_status_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["llm", "status", "--json"], Factory())
    assert args.handler(args) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["providers"]] == ["a", "b"]


def test_chat_and_stream(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["llm", "chat", "hello?", "--provider", "b"], Factory())
    assert args.handler(args) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == '{"status": "ok"}' and "[b/" in captured.err
    args = parse(["llm", "chat", "hello?", "--stream"], Factory())
    assert args.handler(args) == 0
    assert '{"status": "ok"}' in capsys.readouterr().out


def test_smoke_reports_each_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = Factory()
    args = parse(["llm", "smoke", "--report", str(tmp_path / "r.json")], factory)

    original = cli.build_gateway

    def patched(settings: LLMSettings, **kw: Any) -> Any:
        gateway = original(settings, **kw)
        factory.made["b"].default = AuthenticationFailed("b", "401")
        factory.made["a"].embeddings = False
        return gateway

    monkeypatch.setattr(cli, "build_gateway", patched)
    assert args.handler(args) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    a, b = report["providers"]["a"], report["providers"]["b"]
    assert a["ok"] and a["checks"]["json"]["ok"] and a["checks"]["embed"]["ok"] is None
    assert not b["ok"] and b["checks"]["chat"]["error"] == "AuthenticationFailed"
    assert "API key" in b["checks"]["chat"]["hint"]
    assert "hint:" in capsys.readouterr().out


def test_smoke_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["llm", "smoke", "--provider", "a"], Factory())
    assert args.handler(args) == 0
    assert "a: ok" in capsys.readouterr().out


def test_commands_seed_todays_spend_from_the_knowledge_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kb.db"
    store = SqliteStore(db)
    today = start_of_utc_day(time.time())
    for cost, ts in ((0.25, today + 1), (0.5, today + 2), (9.0, today - 1)):  # the last: yesterday
        store.record_llm_call(CallRecord("a", "m", "chat", Usage(10, 5), cost, 0.1, ts=ts))
    store.close()
    args = parse(["llm", "status", "--json", "--db", str(db)], Factory())
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out)["budget"]["daily_spent"] == 0.75


def test_a_missing_knowledge_base_is_not_created_to_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["llm", "status", "--json", "--db", str(tmp_path / "none.db")], Factory())
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out)["budget"]["daily_spent"] == 0
    assert not (tmp_path / "none.db").exists()
