"""Gateway benchmarks on loopback: overhead over raw httpx, failover, cache hits, import time.

    python bench/llm_gateway.py [--calls 2000] [--out bench/data/llm_gateway.json]

1. Overhead: the same POST /v1/chat/completions to a loopback server (bench/llm_server.py, its own
   process), as a raw httpx.AsyncClient call (JSON encoded and decoded), through the
   openai_compat provider alone, and through the gateway (default settings: exact cache on and
   missing, breaker, limits, metrics, call records). Interleaved in rounds in one run.
2. Failover added latency with a dead primary, after the breaker opened: connection refused,
   and black-holed (accepts, never answers); plus what each costs while the breaker is closed.
3. Exact-cache hit latency. 4. Import time of mapekd.llm.gateway (fresh interpreters).
Targets: overhead <= 0.25 ms median; failover <= 5 ms added once the breaker is open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

import httpx  # noqa: E402

from mapekd.llm.config import LLMSettings  # noqa: E402
from mapekd.llm.gateway import Gateway, build_gateway  # noqa: E402
from mapekd.llm.providers.registry import build_provider  # noqa: E402
from mapekd.llm.types import ChatRequest, Message  # noqa: E402

Call = Callable[[int], Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(mode: str = "ok") -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench/llm_server.py"), "--port", str(port), "--mode", mode]
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def request(i: int) -> ChatRequest:
    return ChatRequest(
        messages=(
            Message("system", "You are an SRE."),
            Message("user", f"nginx is down on web{i}; what now?"),
        ),
        max_tokens=64,
    )


def body(i: int) -> dict[str, Any]:
    req = request(i)
    return {
        "model": "bench-model",
        "max_tokens": req.max_tokens,
        "temperature": 0.0,
        "messages": [{"role": m.role, "content": m.content} for m in req.messages],
    }


def stats(samples: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    out = {
        "median_ms": round(statistics.median(samples) * 1000, 4),
        "p99_ms": round(pct(samples, 0.99) * 1000, 4),
        "n": len(samples),
    }
    if cpu:
        out["cpu_median_ms"] = round(statistics.median(cpu) * 1000, 4)
    return out


async def measure(calls: dict[str, Call], total: int) -> dict[str, Any]:
    """Interleave the variants call by call (A B C A B C ...), so that the drift and noise of a
    shared machine hit all of them alike; wall time and this thread's CPU time per call."""
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    i = 0
    for _ in range(100):  # warm-up: connections, interpreter caches
        for call in calls.values():
            i += 1
            await call(i)
    for _ in range(total):
        for name, call in calls.items():
            i += 1
            started, started_cpu = time.perf_counter(), time.thread_time()
            await call(i)
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.thread_time() - started_cpu)
    return {name: stats(wall[name], cpu[name]) for name in calls}


def settings(*providers: dict[str, Any], **extra: Any) -> LLMSettings:
    return LLMSettings.model_validate({"providers": list(providers), **extra})


def openai(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "openai_compat", "base_url": url, "model": "bench-model", **extra}


async def bench_overhead(url: str, calls: int) -> dict[str, Any]:
    raw = httpx.AsyncClient(base_url=url, timeout=10)
    provider = build_provider(settings(openai("p", url)).providers[0])
    gateway = build_gateway(settings(openai("p", url)))
    nocache = build_gateway(settings(openai("p", url), cache={"exact": {"enabled": False}}))

    async def raw_call(i: int) -> Any:
        response = await raw.post("/chat/completions", json=body(i))
        return response.json()["choices"][0]["message"]["content"]

    results = await measure(
        {
            "raw_httpx": raw_call,
            "provider": lambda i: provider.chat(request(i)),
            "gateway": lambda i: gateway.chat(request(i)),
            "gateway_no_cache": lambda i: nocache.chat(request(i)),
        },
        calls,
    )
    await raw.aclose()
    await provider.close()
    await gateway.close()
    await nocache.close()
    base = results["raw_httpx"]
    for name in ("provider", "gateway", "gateway_no_cache"):
        row = results[name]
        row["overhead_median_ms"] = round(row["median_ms"] - base["median_ms"], 4)
        row["overhead_p99_ms"] = round(row["p99_ms"] - base["p99_ms"], 4)
        row["overhead_cpu_median_ms"] = round(row["cpu_median_ms"] - base["cpu_median_ms"], 4)
    return results


async def bench_failover(url: str, dead: str, calls: int) -> dict[str, Any]:
    timeouts = {"connect": "1s", "read": "200ms", "total": "300ms"}
    direct = build_gateway(settings(openai("s", url), cache={"exact": {"enabled": False}}))

    def pair(primary: str, threshold: int) -> Gateway:
        return build_gateway(
            settings(
                openai("primary", primary, timeouts=timeouts),
                openai("s", url),
                cache={"exact": {"enabled": False}},
                breaker={"failure_threshold": threshold, "reset_timeout": "1h"},
            )
        )

    out: dict[str, Any] = {}
    with server("hang") as hole:
        refused_closed = pair(dead, 10**9)
        refused_open = pair(dead, 1)
        hole_open = pair(hole, 1)
        started = time.perf_counter()
        await hole_open.chat(request(0))  # pays the read timeout once, opens the breaker
        out["black_holed_first_call_ms"] = round((time.perf_counter() - started) * 1000, 1)
        await refused_open.chat(request(0))
        results = await measure(
            {
                "direct_secondary": lambda i: direct.chat(request(i)),
                "refused_breaker_closed": lambda i: refused_closed.chat(request(i)),
                "refused_breaker_open": lambda i: refused_open.chat(request(i)),
                "black_holed_breaker_open": lambda i: hole_open.chat(request(i)),
            },
            calls,
        )
        for gw in (direct, refused_closed, refused_open, hole_open):
            await gw.close()
    base = results["direct_secondary"]
    for name, row in results.items():
        if name != "direct_secondary":
            row["added_median_ms"] = round(row["median_ms"] - base["median_ms"], 4)
            row["added_p99_ms"] = round(row["p99_ms"] - base["p99_ms"], 4)
    return {**out, **results}


async def bench_cache_hit(url: str, calls: int) -> dict[str, Any]:
    gateway = build_gateway(settings(openai("p", url)))
    await gateway.chat(request(0))
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await gateway.chat(request(0))
        samples.append(time.perf_counter() - started)
    await gateway.close()
    return stats(samples)


def bench_import(runs: int = 7) -> dict[str, Any]:
    code = (
        "import time, sys; sys.path.insert(0, {root!r}); import httpx, pydantic, "
        "prometheus_client; t = time.perf_counter(); import mapekd.llm.gateway, "
        "mapekd.cli.llm; print(time.perf_counter() - t)"
    )
    full = (
        "import time, sys; sys.path.insert(0, {root!r}); t = time.perf_counter(); "
        "import mapekd.llm.gateway, mapekd.cli.llm; print(time.perf_counter() - t)"
    )
    out = {}
    for name, source in (("own_modules_ms", code), ("with_dependencies_ms", full)):
        values = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", source.format(root=str(ROOT / "daemon"))],
                capture_output=True,
                text=True,
                check=True,
            )
            values.append(float(done.stdout))
        out[name] = round(statistics.median(values) * 1000, 1)
    return out


def table(result: dict[str, Any]) -> None:
    head = f"{'median ms':>10} {'p99 ms':>9} {'+median':>9} {'+p99':>9} {'cpu ms':>8} {'+cpu':>8}"
    print(f"{'overhead over raw httpx (' + str(result['calls']) + ' calls each)':<40} {head}")
    for name, row in result["overhead"].items():
        print(
            f"  {name:<38} {row['median_ms']:>10.3f} {row['p99_ms']:>9.3f} "
            f"{row.get('overhead_median_ms', 0):>9.3f} {row.get('overhead_p99_ms', 0):>9.3f} "
            f"{row['cpu_median_ms']:>8.3f} {row.get('overhead_cpu_median_ms', 0):>8.3f}"
        )
    print(f"{'failover, dead primary (added: vs direct)':<40} {head[:40]}")
    for name, row in result["failover"].items():
        if isinstance(row, dict):
            print(
                f"  {name:<38} {row['median_ms']:>10.3f} {row['p99_ms']:>9.3f} "
                f"{row.get('added_median_ms', 0):>9.3f} {row.get('added_p99_ms', 0):>9.3f}"
            )
    first = result["failover"]["black_holed_first_call_ms"]
    print(f"  black-holed, first call (read timeout 200 ms, opens the breaker): {first} ms")
    hit = result["cache_hit"]
    print(f"exact-cache hit: median {hit['median_ms']:.4f} ms, p99 {hit['p99_ms']:.4f} ms")
    imp = result["import"]
    print(
        f"import mapekd.llm.gateway + mapekd.cli.llm: {imp['own_modules_ms']} ms with httpx, "
        f"pydantic, prometheus_client already loaded; {imp['with_dependencies_ms']} ms cold"
    )


async def run(calls: int) -> dict[str, Any]:
    with server() as url:
        overhead = await bench_overhead(url, calls)
        with server() as gone:
            pass  # started and stopped: nothing listens there any more
        failover = await bench_failover(url, gone, calls)
        cache_hit = await bench_cache_hit(url, calls)
    return {"calls": calls, "overhead": overhead, "failover": failover, "cache_hit": cache_hit}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/data/llm_gateway.json")
    args = parser.parse_args()
    result = asyncio.run(run(args.calls))
    result["import"] = bench_import()
    result["python"] = sys.version.split()[0]
    table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
