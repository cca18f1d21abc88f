"""Soak: a `mapekd run` at a 1 s cycle for the soak's length (30 s in `make test`, an hour under
`make test-reliability`, RELIABILITY_SOAK_SECONDS for the 24 h mode) while its service is SIGKILLed
every few seconds, an HTTP check flaps, and the LLM upstream that analyses each incident turns
from answering to failing in one way after another. The daemon's RSS and fd count are sampled all along:
RSS must not grow (median of the last third against the first) and fds must not pile up. The
figures go to soak.json in the test's directory and one summary line is printed."""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import wait_for
from tests.e2e import conftest as e2e
from tests.e2e.harness import Daemon, Service, base_config
from tests.llm.fakes import chaos_process
from tests.llm.fakes.chaos_process import ChaosUpstream
from tests.reliability.sizes import sized, sizes

service, daemons = e2e.service, e2e.daemons  # the end-to-end fixtures
upstream = chaos_process.upstream
LLM_MODES = ["ok:The service was killed.", "server_error", "stall", "cut", "garbage", "rate_limited"]
MODE_EVERY = 5.0
KILL_EVERY = 4.0
FLAP_EVERY = 3.0
MAX_RSS_GROWTH = 10 * 2**20
MAX_FD_SPREAD = 16
"""fds open at once vary with what is in flight (a check's socket, an action's pipes)."""


class Flapping(BaseHTTPRequestHandler):
    """200 and 503 in turn, FLAP_EVERY seconds each."""

    def do_GET(self) -> None:
        healthy = int(time.monotonic() / FLAP_EVERY) % 2 == 0
        self.send_response(200 if healthy else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flapping() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flapping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()
    server.server_close()


def soak_config(tmp: Path, service: Service, flapping: str, upstream: ChaosUpstream) -> dict[str, Any]:
    config = base_config(tmp, service, cooldown="0s", max_actions=100_000, max_executions=100_000)
    config["checks"].append({"name": "flappy", "type": "http", "url": flapping, "timeout": "1s"})
    config["rules"].append(
        {"name": "flappy_down", "check": "flappy", "when": "ok == false", "remedies": ["note"]}
    )
    note = f"open({str(tmp / 'noted')!r}, 'a').write('x')"
    config["actions"].append(
        {"name": "note", "type": "command", "argv": [sys.executable, "-c", note], "settle": "500ms"}
    )
    # Each remedy acts at once (plan.llm auto, one low-risk remedy); the analysis follows.
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
        "retries": {"max_attempts": 2, "base_delay": "100ms", "max_delay": "300ms"},
        "breaker": {"failure_threshold": 5, "reset_timeout": "5s"},
        "analyze_deadline": "3s",
    }
    return config


def sample(pid: int) -> dict[str, float]:
    proc = psutil.Process(pid)
    return {"t": time.time(), "rss": proc.memory_info().rss, "fds": proc.num_fds()}


def soak(
    daemon: Daemon, service: Service, upstream: ChaosUpstream, seconds: float, every: float
) -> tuple[list[dict[str, float]], int]:
    """Kill the service every KILL_EVERY s, switch the LLM's mode every MODE_EVERY s, and sample
    the daemon every `every` s, for `seconds`."""
    assert daemon.proc is not None
    samples, kills = [], 0
    began = time.monotonic()
    next_kill = next_sample = next_mode = began
    while (now := time.monotonic()) - began < seconds:
        if now >= next_sample:
            assert daemon.proc.poll() is None, "the daemon died during the soak"
            samples.append(sample(daemon.proc.pid))
            next_sample += every
        if now >= next_kill:
            if (pid := service.pid()) is not None and psutil.pid_exists(pid):
                os.kill(pid, signal.SIGKILL)
                kills += 1
            next_kill += KILL_EVERY
        if now >= next_mode:
            upstream.set(LLM_MODES[int((now - began) / MODE_EVERY) % len(LLM_MODES)])
            next_mode += MODE_EVERY
        time.sleep(0.1)
    samples.append(sample(daemon.proc.pid))
    return samples, kills


def figures(samples: list[dict[str, float]]) -> dict[str, float]:
    third = max(1, len(samples) // 3)
    rss = [s["rss"] for s in samples]
    fds = [s["fds"] for s in samples]
    return {
        "samples": len(samples),
        "rss_first_third_median": statistics.median(rss[:third]),
        "rss_last_third_median": statistics.median(rss[-third:]),
        "rss_growth": statistics.median(rss[-third:]) - statistics.median(rss[:third]),
        "rss_max": max(rss),
        "fds_min": min(fds),
        "fds_max": max(fds),
        "fds_first_third_max": max(fds[:third]),
        "fds_last_third_max": max(fds[-third:]),
    }


@pytest.mark.timeout(300 + sizes().soak_seconds)
def test_rss_and_fds_stay_bounded_through_the_soak(
    tmp_path: Path,
    service: Service,
    daemons: list[Daemon],
    flapping: str,
    upstream: ChaosUpstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    size = sized(monkeypatch)
    first = service.start()
    upstream.start(LLM_MODES[0])
    daemon = Daemon(tmp_path, soak_config(tmp_path, service, flapping, upstream))
    daemons.append(daemon)
    daemon.start()
    # Warm up: each path of the loop (a heal, a flap noted) taken once before the first sample.
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: (p := service.pid()) != first and service.healthy() and p, message="first heal")
    wait_for(lambda: (tmp_path / "noted").exists(), message="first flap noted")

    samples, kills = soak(daemon, service, upstream, size.soak_seconds, size.sample_every)
    wait_for(service.healthy, message="service healthy after the soak")
    result = {**figures(samples), "seconds": size.soak_seconds, "service_kills": kills}
    result["llm_calls"] = len(upstream.chats())
    result["heals"] = len(daemon.events("decision", signature="svc_down@process:svc_process"))
    (tmp_path / "soak.json").write_text(json.dumps({"figures": result, "samples": samples}, indent=1))
    mib = {
        k: f"{result[k] / 2**20:.1f}" for k in ("rss_first_third_median", "rss_last_third_median", "rss_max")
    }
    print(
        f"soak: {size.soak_seconds:.0f}s, {kills} kills, {result['heals']} heals, "
        f"{result['llm_calls']} LLM calls, "
        f"RSS {mib['rss_first_third_median']} -> {mib['rss_last_third_median']} MiB "
        f"(max {mib['rss_max']}), fds {result['fds_min']}..{result['fds_max']}; {tmp_path / 'soak.json'}"
    )

    assert [line for line in daemon.lines() if line.get("msg") == "cycle failed"] == []
    assert result["heals"] > kills, "every kill healed (plus the warm-up's)"
    assert result["rss_growth"] < MAX_RSS_GROWTH, result
    assert result["fds_max"] - result["fds_min"] <= MAX_FD_SPREAD, result
    assert result["fds_last_third_max"] <= result["fds_first_third_max"] + 4, result
    assert daemon.stop() == 0
