"""Answers too large to hold: a provider's 300 MiB answer, one endless stream line, a webhook's
300 MiB answer, an endless health-check body. Each is a clear result or error, and the client
process's peak resident memory grows by less than MAX_GROWTH_MIB (reading stops at its cap).
The bodies are generated on the fly by a loopback server (tests/reliability/flood.py)."""

from __future__ import annotations

import pytest

from .flood import flood_server, run_client

MAX_GROWTH_MIB = 32

PROVIDER = """
from mapekd.llm.errors import ProviderError
from mapekd.llm.providers.config import OpenAICompatConfig
from mapekd.llm.providers.registry import build_provider
from mapekd.llm.types import ChatRequest, Message

REQUEST = ChatRequest((Message("user", "hi"),))
provider = build_provider(OpenAICompatConfig(name="up", type="openai_compat", base_url=URL, model="m"))

async def warm_up():
    await provider.models()  # the same client, connection and reading path, with a small answer
"""

CHAT = """
async def flooded():
    try:
        await provider.chat(REQUEST)
    except ProviderError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None}
"""

STREAM = """
async def flooded():
    deltas = []
    try:
        async for chunk in provider.stream(REQUEST):
            deltas.append(chunk.delta)
    except ProviderError as exc:
        return {"error": type(exc).__name__, "message": str(exc), "deltas": deltas}
    return {"error": None, "deltas": deltas}
"""

WEBHOOK = """
from mapekd.config.actions import WebhookActionConfig
from mapekd.execute.actions.webhook import WebhookAction
from mapekd.shared_http import SharedHttp

http = SharedHttp()

def hook(path):
    config = WebhookActionConfig.model_validate({"name": "h", "type": "webhook", "url": URL + path})
    return WebhookAction(config, http=http)

async def warm_up():
    await hook("/small").post({"status": "warm"})

async def flooded():
    result = await hook("/page").post({"status": "gave_up"})
    return {"state": result.state, "status": result.exit_code, "tail": result.output_tail}
"""

HEALTH = """
from mapekd.monitor.http import HttpCheck
from mapekd.shared_http import SharedHttp

http = SharedHttp()

async def warm_up():
    await HttpCheck("warm", URL + "/small", client=http.checks).collect()

async def flooded():
    check = HttpCheck("web", URL + "/health", client=http.checks, body_regex="x$", timeout=60)
    [sample] = await check.collect()
    return dict(sample.fields)
"""


def client(code: str, url: str, *parts: str) -> str:
    return f"URL = {url!r}\n{code}\n" + "\n".join(parts)


def test_a_300_mib_provider_answer_is_an_error_not_a_memory_blowup() -> None:
    with flood_server("json") as url:
        result = run_client(client(PROVIDER, url, CHAT))

    outcome = result["outcome"]
    assert outcome["error"] == "MalformedResponse", outcome  # type: ignore[index]
    assert "larger than 16777216 bytes" in outcome["message"]  # type: ignore[index]
    assert result["peak_growth_mib"] < MAX_GROWTH_MIB, result


@pytest.mark.parametrize(
    ("kind", "error", "deltas"),
    [("text", "MalformedResponse", []), ("sse_line", "StreamInterrupted", ["hi"])],
    ids=["endless-first-line", "endless-line-after-a-chunk"],
)
def test_an_endless_stream_line_fails_the_stream_with_our_error(
    kind: str, error: str, deltas: list[str]
) -> None:
    with flood_server(kind) as url:
        result = run_client(client(PROVIDER, url, STREAM))

    outcome = result["outcome"]
    assert outcome["error"] == error and outcome["deltas"] == deltas, outcome  # type: ignore[index]
    if error == "MalformedResponse":
        assert "stream line longer than" in outcome["message"]  # type: ignore[index]
    assert result["peak_growth_mib"] < MAX_GROWTH_MIB, result


def test_a_300_mib_webhook_answer_keeps_only_its_tail() -> None:
    with flood_server("text") as url:
        result = run_client(client(WEBHOOK, url))

    outcome = result["outcome"]
    assert outcome["state"] == "succeeded" and outcome["status"] == 200, outcome  # type: ignore[index]
    assert outcome["tail"].startswith("[answer cut after")  # type: ignore[index]
    assert outcome["tail"].endswith("x" * 500)  # type: ignore[index]
    assert result["peak_growth_mib"] < MAX_GROWTH_MIB, result


def test_an_endless_health_check_body_is_read_up_to_the_regex_cap() -> None:
    with flood_server("text") as url:
        result = run_client(client(HEALTH, url))

    outcome = result["outcome"]
    assert outcome["status"] == 200 and outcome["body_match"] is True and outcome["ok"], outcome  # type: ignore[index]
    assert result["peak_growth_mib"] < MAX_GROWTH_MIB, result
