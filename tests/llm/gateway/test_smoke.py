"""`llm smoke` end to end, on real providers: the implicit provider is reported as what it is, and
each failure's hint fits the provider's type (loopback fakes of the HTTP APIs, real files, the
real llama.cpp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.cli.main import main
from mapekd.llm.config import IMPLICIT_NOTE, LLMSettings
from mapekd.llm.gateway import build_gateway
from mapekd.llm.gateway.smoke import run_smoke

from ..conftest import requires_llama
from ..fakes.anthropic_api import FakeAnthropic
from ..fakes.ollama_api import FakeOllama
from ..fakes.openai_api import FakeOpenAI
from ..fakes.server import FakeServer

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "example.yaml"


async def smoke(*providers: dict[str, Any]) -> dict[str, Any]:
    settings = LLMSettings.model_validate({"providers": list(providers)})
    return await run_smoke(build_gateway(settings))


def failed(report: dict[str, Any], provider: str, check: str = "chat") -> dict[str, Any]:
    result: dict[str, Any] = report["providers"][provider]["checks"][check]
    assert result["ok"] is False, result
    return result


async def test_the_implicit_provider_is_skipped_with_what_to_do() -> None:
    report = await run_smoke(build_gateway(LLMSettings(embedded=False)))
    assert report["ok"] is True and report["tested"] == 0
    implicit = report["providers"]["implicit_offline"]
    assert implicit["ok"] is None and implicit["note"] == IMPLICIT_NOTE
    assert "llm.providers" in implicit["hint"] and implicit["checks"] == {}


def test_smoke_of_the_example_config_passes_on_the_embedded_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # its relative knowledge.path must not name a real file
    assert main(["llm", "smoke", "--config", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "embedded: ok" in out and "smoke: all providers ok" in out
    assert "chat       ok" in out and "json       ok" in out


def test_smoke_and_status_without_any_llm_say_nothing_is_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "none.yaml"
    config.write_text("llm:\n  embedded: false\n")
    assert main(["llm", "smoke", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "implicit_offline: skipped: no llm providers configured; this implicit offline provider" in out
    assert "hint: add a provider under llm.providers (see config/full.yaml)" in out
    assert "smoke: nothing tested (no llm providers configured)" in out
    assert "base_url" not in out
    assert main(["llm", "status", "--config", str(config)]) == 0
    assert f"implicit_offline: {IMPLICIT_NOTE}" in capsys.readouterr().out


async def test_offline_without_a_matching_answer_points_at_its_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"answers": [{"match": "disk full", "answer": "noop"}]}))
    report = await smoke({"name": "canned", "type": "offline", "answers_path": str(answers)})
    chat = failed(report, "canned")
    assert chat["error"] == "NotFound" and "answers file" in chat["hint"]
    assert "base_url" not in chat["hint"]
    assert report["providers"]["canned"]["checks"]["embed"]["ok"] is True


async def test_openai_unknown_model_points_at_model_and_base_url() -> None:
    async with FakeServer(FakeOpenAI()) as server:
        base = {"type": "openai_compat", "base_url": server.url + "/v1"}
        report = await smoke({"name": "oa", "model": "gpt-9-imaginary", **base})
    chat = failed(report, "oa")
    assert chat["error"] == "NotFound" and "GET /models" in chat["hint"] and "base_url" in chat["hint"]
    assert report["providers"]["oa"]["checks"]["reachable"]["ok"] is True


async def test_ollama_model_not_pulled_says_ollama_pull() -> None:
    async with FakeServer(FakeOllama()) as server:
        report = await smoke({"name": "ol", "type": "ollama", "base_url": server.url, "model": "mistral"})
    chat = failed(report, "ol")
    assert chat["error"] == "NotFound" and "ollama pull" in chat["hint"]


async def test_anthropic_base_url_with_v1_says_server_root() -> None:
    async with FakeServer(FakeAnthropic(key="sk-ant-x")) as server:
        report = await smoke(
            {
                "name": "claude",
                "type": "anthropic",
                "base_url": server.url + "/v1",
                "model": "claude-sonnet-4-5",
                "api_key": "sk-ant-x",
            }
        )
    chat = failed(report, "claude")
    assert chat["error"] == "NotFound" and "the server root, no /v1" in chat["hint"]


@requires_llama
async def test_local_llama_with_an_unloadable_model_file_points_at_model_path(tmp_path: Path) -> None:
    model = tmp_path / "not-a-model.gguf"
    model.write_bytes(b"this is not a GGUF file" * 64)
    report = await smoke({"name": "local", "type": "local_llama", "model_path": str(model)})
    chat = failed(report, "local")
    assert chat["error"] == "ModelLoadFailed" and "GGUF" in chat["hint"]
    assert "base_url" not in chat["hint"]
