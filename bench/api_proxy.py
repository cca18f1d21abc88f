"""Proxy overhead of the HTTP API's /v1/chat/completions, at a fixed request rate.

    python bench/api_proxy.py [--rate 100] [--requests 1000] [--repeats 3] [--out bench/data/api_proxy.json]

One loopback upstream (bench/llm_server.py, its own process) and `mapekd gateway` (its own
process, the openai_compat provider pointing at that upstream, exact cache off so every call
reaches the upstream, call records written to SQLite as in production). For scale, a bare
pass-through (uvicorn + Starlette + a stock httpx client, no auth, limits, gateway or records; a
third process) shows what one more Python HTTP hop costs on this machine; mapekd's upstream
client is a stock httpx client too (one per provider, kept alive, its answers read with a byte
cap). The client sends the same OpenAI chat body at a fixed rate (open loop: a request starts on
schedule whether or not the previous one finished), rotating direct / pass-through / API, so all
see the same machine noise. Per repeat: median and p99 of each and the latency added over direct;
the figures are the medians over repeats; `api.cpu_ms_per_request` is the gateway process's CPU
time (user + system) per API request over the whole run, a figure that machine noise moves less.
A request that fails (e.g. the machine too loaded to keep up) is counted in `errors`, not timed.
Targets: at most 3 ms median and 6 ms p99 added by the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
TARGET_MEDIAN_ADDED_MS = 3.0
TARGET_P99_ADDED_MS = 6.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {limit}s")


@contextmanager
def process(argv: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[psutil.Process]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield psutil.Process(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def gateway_config(tmp: Path, upstream: str, port: int) -> Path:
    config = {
        "daemon": {"log_level": "WARNING"},
        "llm": {
            "providers": [
                {"name": "upstream", "type": "openai_compat", "base_url": upstream, "model": "bench-model"}
            ],
            "cache": {"exact": {"enabled": False}},
        },
        "api": {"port": port, "tokens": [{"name": "bench", "token": TOKEN, "rights": ["llm"]}]},
        "knowledge": {"path": str(tmp / "kb.db")},
    }
    path = tmp / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def body(i: int) -> dict[str, Any]:
    return {
        "model": "bench-model",
        "max_tokens": 64,
        "temperature": 0.0,
        "messages": [
            {"role": "system", "content": "You are an SRE."},
            {"role": "user", "content": f"nginx is down on web{i}; what now?"},
        ],
    }


async def timed(client: httpx.AsyncClient, path: str, i: int, out: list[float], errors: list[str]) -> None:
    started = time.perf_counter()
    try:
        response = await client.post(path, json=body(i))
        response.raise_for_status()
        response.json()
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)
        return
    out.append(time.perf_counter() - started)


Side = tuple[str, httpx.AsyncClient, str]


async def run_rate(sides: list[Side], rate: float, n: int) -> dict[str, Any]:
    """n requests per side on one fixed schedule, the sides in rotation."""
    times: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    errors: dict[str, list[str]] = {name: [] for name, _, _ in sides}
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(len(sides) * n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name, client, path = sides[i % len(sides)]
        tasks.append(asyncio.create_task(timed(client, path, i, times[name], errors[name])))
    await asyncio.gather(*tasks)
    result: dict[str, Any] = {
        name: {**summary(values), "errors": len(errors[name])} for name, values in times.items()
    }
    for name in ("passthrough", "api"):
        for q in ("median_ms", "p99_ms"):
            result[name][f"added_{q}"] = round(result[name][q] - result["direct"][q], 4)
    return result


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
        "n": len(ordered),
    }


async def bench(urls: dict[str, str], rate: float, n: int, repeats: int) -> dict[str, Any]:
    auth = {"authorization": f"Bearer {TOKEN}"}
    clients = {name: httpx.AsyncClient(base_url=url, timeout=10, headers=auth) for name, url in urls.items()}
    sides = [
        ("direct", clients["direct"], "/chat/completions"),
        ("passthrough", clients["passthrough"], "/v1/chat/completions"),
        ("api", clients["api"], "/v1/chat/completions"),
    ]
    await run_rate(sides, rate, min(n, 200))  # warm-up: connections, caches
    rounds = [await run_rate(sides, rate, n) for _ in range(repeats)]
    for client in clients.values():
        await client.aclose()

    def med(side: str, key: str) -> float:
        return round(statistics.median(r[side][key] for r in rounds), 4)

    keys = {"direct": ("median_ms", "p99_ms")}
    keys["passthrough"] = keys["api"] = ("median_ms", "p99_ms", "added_median_ms", "added_p99_ms")
    return {
        "rate_per_s": rate,
        "requests_per_side_per_repeat": n,
        "repeats": repeats,
        **{side: {k: med(side, k) for k in ks} for side, ks in keys.items()},
        "errors": {side: sum(r[side]["errors"] for r in rounds) for side in keys},
        "target_api_added_median_ms": TARGET_MEDIAN_ADDED_MS,
        "target_api_added_p99_ms": TARGET_P99_ADDED_MS,
        "rounds": rounds,
    }


def passthrough(port: int, upstream: str) -> None:
    """The floor: one more uvicorn + Starlette + httpx hop and nothing else."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(base_url=upstream, timeout=10)

    async def relay(request: Request) -> JSONResponse:
        response = await client.post("/chat/completions", json=await request.json())
        return JSONResponse(response.json())

    app = Starlette(routes=[Route("/v1/chat/completions", relay, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=150.0, help="requests per second, all sides together")
    parser.add_argument("--requests", type=int, default=1000, help="per side and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/data/api_proxy.json")
    parser.add_argument("--passthrough", nargs=2, metavar=("PORT", "UPSTREAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.passthrough:
        passthrough(int(args.passthrough[0]), args.passthrough[1])
        return
    up_port, pass_port, api_port = free_port(), free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}/v1"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "daemon")}
    with tempfile.TemporaryDirectory() as tmp:
        config = gateway_config(Path(tmp), upstream, api_port)
        server = [sys.executable, str(ROOT / "bench/llm_server.py"), "--port", str(up_port)]
        relay = [sys.executable, __file__, "--passthrough", str(pass_port), upstream]
        gateway = [sys.executable, "-m", "mapekd", "gateway", "--config", str(config)]
        with process(server, up_port), process(relay, pass_port), process(gateway, api_port, env) as api:
            urls = {
                "direct": upstream,
                "passthrough": f"http://127.0.0.1:{pass_port}",
                "api": f"http://127.0.0.1:{api_port}",
            }
            cpu_before = sum(api.cpu_times()[:2])
            result = asyncio.run(bench(urls, args.rate, args.requests, args.repeats))
            api_requests = (min(args.requests, 200) + args.requests * args.repeats) - result["errors"]["api"]
            cpu_ms = (sum(api.cpu_times()[:2]) - cpu_before) * 1000 / api_requests
            result["api"]["cpu_ms_per_request"] = round(cpu_ms, 3)
    api = result["api"]
    result["ok"] = (
        api["added_median_ms"] <= TARGET_MEDIAN_ADDED_MS
        and api["added_p99_ms"] <= TARGET_P99_ADDED_MS
        and not result["errors"]["api"]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
