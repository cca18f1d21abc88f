"""Provider chaos: whatever the LLM upstream does (500s, 429 with Retry-After, 503, hangs, a body
cut mid-answer, garbage, the wrong schema, a refused key, being SIGKILLed while it holds the
request), a real `mapekd run` with `plan.llm: always` heals the crashed service by the rule's
remedy with the LLM's error on record, no cycle fails, and SIGTERM still stops it with exit 0.
Meanwhile a client streaming through the daemon's API gets each failure as a failure (an error
status, or an error event and no `[DONE]`), never as a clean end. A healthy upstream afterwards
decides again: the faults, not a dead LLM path, made the rule act."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, wait_for
from tests.e2e import conftest as e2e
from tests.e2e.harness import Daemon, Service, base_config, kill
from tests.llm.fakes import chaos_process
from tests.llm.fakes.chaos_process import ChaosUpstream
from tests.reliability.sizes import sized, sizes

SIGNATURE = "svc_down@process:svc_process"
FAULTS = [
    "server_error",
    "rate_limited",
    "overloaded",
    "stall",
    "cut",
    "garbage",
    "malformed",
    "wrong_schema",
    "unauthorized",
]
KILLED = "killed mid-request"
RECORDED = {
    "server_error": "HTTP 500",
    "rate_limited": "HTTP 429",
    "overloaded": "HTTP 503",
    "unauthorized": "HTTP 401",
    "stall": "Timeout",
    "cut": "closed connection",
    "wrong_schema": "invalid output",
    KILLED: "ConnectError",  # the retry finds no upstream (its text varies by address family)
}
"""What the decision's reason must say of the LLM's failure (the rest only that it failed)."""
ANALYZE_DEADLINE = 3
TOKEN = "llm-token-provider-chaos-01"
VALID_ANSWERS = {"wrong_schema"}
"""Faults that are a well-formed answer to a client that asked for no schema."""
service, daemons = e2e.service, e2e.daemons  # the end-to-end fixtures
upstream = chaos_process.upstream
PLAN = json.dumps(
    {"action": "start_svc", "params": {}, "risk": "low", "confidence": 0.9, "rationale": "it died"}
)


def chaos_config(tmp: Path, service: Service, upstream: ChaosUpstream, api_port: int) -> dict[str, Any]:
    config = base_config(
        tmp, service, cooldown="0s", max_actions=1000, max_executions=1000, prefer_knowledge=False
    )  # knowledge settles nothing: every decision is the LLM's to take
    config["actions"][0]["settle"] = "1s"
    config["plan"] = {"llm": "always"}
    config["llm"] = {
        "providers": [
            {
                "name": "upstream",
                "type": "openai_compat",
                "base_url": f"http://127.0.0.1:{upstream.port}/v1",
                "model": "gpt-4o-mini",
                "timeouts": {"connect": "1s", "read": "1s", "total": "2s"},
            }
        ],
        "retries": {"max_attempts": 2, "base_delay": "100ms", "max_delay": "300ms", "max_retry_after": "5s"},
        # Every fault must reach the upstream: an open circuit would answer for it.
        "breaker": {"failure_threshold": 1000},
        "cache": {"exact": {"enabled": False}},
        "plan_deadline": "4s",
        "analyze_deadline": f"{ANALYZE_DEADLINE}s",
    }
    config["api"] = {
        "enabled": True,
        "port": api_port,
        "tokens": [{"name": "apps", "token": TOKEN, "rights": ["llm"]}],
    }
    return config


def stream_via_api(api_port: int) -> tuple[int, str]:
    """A streamed chat through the daemon's OpenAI-compatible API: its status and whole body."""
    reply = httpx.post(
        f"http://127.0.0.1:{api_port}/v1/chat/completions",
        json={"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hello"}]},
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    return reply.status_code, reply.text


def completed(status: int, body: str) -> bool:
    return status == 200 and body.rstrip().endswith("data: [DONE]")


def failed_visibly(status: int, body: str) -> bool:
    return status >= 400 or ('"error"' in body and not body.rstrip().endswith("data: [DONE]"))


def crash_and_heal(
    daemon: Daemon, service: Service, upstream: ChaosUpstream, *, kill_upstream: bool
) -> tuple[Any, list[float]]:
    """Kill the service; once it is back, healthy, and its incident resolved, return the decision
    the daemon took and when the upstream received chat requests meanwhile."""
    decided = len(daemon.events("decision", signature=SIGNATURE))
    resolved = len(daemon.events("outcome", signature=SIGNATURE, outcome="resolved"))
    chats = len(upstream.chats())
    old = service.pid()
    assert old is not None
    kill(old)
    if kill_upstream:  # the plan's request arrives, is held (stall), and its server dies
        wait_for(lambda: len(upstream.chats()) > chats, message="the plan's request at the upstream")
        upstream.kill()
    decision = wait_for(
        lambda: (found := daemon.events("decision", signature=SIGNATURE)[decided:]) and found[0],
        timeout=60,
        message="a decision on the crash",
    )
    wait_for(lambda: (p := service.pid()) != old and p, message="service restarted")
    wait_for(service.healthy, message="service healthy again")
    wait_for(
        lambda: len(daemon.events("outcome", signature=SIGNATURE, outcome="resolved")) > resolved,
        message="incident resolved",
    )
    asked = upstream.chats()[chats:]
    assert asked, "the LLM was asked"
    return decision, asked


@pytest.mark.timeout(120 + 60 * sizes().chaos_rounds)
def test_every_provider_fault_leaves_the_rule_healing(
    tmp_path: Path,
    service: Service,
    daemons: list[Daemon],
    upstream: ChaosUpstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rounds = sized(monkeypatch).chaos_rounds
    plays = [fault for _ in range(rounds) for fault in random.sample(FAULTS, len(FAULTS))]
    service.start()
    upstream.start("ok:" + PLAN)
    api_port = free_port()
    daemon = Daemon(tmp_path, chaos_config(tmp_path, service, upstream, api_port))
    daemons.append(daemon)
    daemon.start()

    errors: dict[str, str] = {}
    streams: dict[str, int] = {}
    for fault in [*plays, KILLED]:
        killing = fault == KILLED
        upstream.set("stall" if killing else fault)
        if fault in ("rate_limited", KILLED):  # no call of an earlier incident's analysis in between
            wait_for(lambda: time.time() - max(upstream.chats(), default=0) > ANALYZE_DEADLINE + 0.5)
        decision, asked = crash_and_heal(daemon, service, upstream, kill_upstream=killing)
        assert decision["verdict"] == "execute" and decision["action"] == "start_svc", (fault, decision)
        assert decision["source"] == "rule", (fault, decision)
        assert decision["reason"].startswith("LLM: "), (fault, decision)
        assert RECORDED.get(fault, "") in decision["reason"], (fault, decision["reason"])
        if fault == "rate_limited":  # the retry waited for Retry-After: 1
            assert asked[1] - asked[0] >= 0.9, asked
        errors[fault] = decision["reason"]
        status, body = stream_via_api(api_port)
        if fault in VALID_ANSWERS:
            assert completed(status, body), (fault, status, body[-300:])
        else:
            assert failed_visibly(status, body), (fault, status, body[-300:])
        streams[fault] = status
        assert daemon.proc is not None and daemon.proc.poll() is None, f"daemon died on {fault}"

    upstream.start("ok:" + PLAN)  # the same port again: the LLM is heard once it answers
    healthy, _ = crash_and_heal(daemon, service, upstream, kill_upstream=False)
    assert healthy["source"] == "llm" and healthy["action"] == "start_svc", healthy
    assert completed(*stream_via_api(api_port))

    failed = [line for line in daemon.lines() if line.get("msg") == "cycle failed"]
    assert failed == [], failed
    assert daemon.stop() == 0
    print(
        f"provider chaos: {len(plays) + 1} faults, every one healed by the rule; "
        f"API stream statuses {streams}; errors: {errors}"
    )
