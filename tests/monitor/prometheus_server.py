"""A real Prometheus scraping real node_exporters (Debian's `prometheus` and
`prometheus-node-exporter`), on free loopback ports in a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, wait_for

NODE_EXPORTER = "prometheus-node-exporter"
# Only cheap collectors that need no privileges: the tests read load and memory.
COLLECTORS = ("--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo")


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} not found: install Debian's prometheus and prometheus-node-exporter (.ci/run does)"
        )
    return path


@dataclass
class Exporter:
    job: str
    address: str
    process: subprocess.Popen[bytes]


@dataclass
class PrometheusServer:
    url: str
    exporters: dict[str, Exporter]

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, trust_env=False).json()
        return list(answer["data"]["result"])


@contextmanager
def _process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def prometheus_with_exporters(
    directory: Path, jobs: list[str], *, targets: dict[str, str] | None = None, rules: Path | None = None
) -> Iterator[PrometheusServer]:
    """One node_exporter per job in `jobs`, and the `targets` given (job -> host:port), scraped
    every second, with the alert `rules` file if given; returns once every job was scraped up."""
    with ExitStack() as stack:
        exporters = {}
        for job in jobs:
            address = f"127.0.0.1:{free_port()}"
            argv = [binary(NODE_EXPORTER), f"--web.listen-address={address}", *COLLECTORS]
            exporters[job] = Exporter(
                job, address, stack.enter_context(_process(argv, directory / f"{job}.log"))
            )
        config = directory / "prometheus.yml"
        scraped = {job: e.address for job, e in exporters.items()} | (targets or {})
        config.write_text(_config(scraped, rules))
        port = free_port()
        argv = [
            binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        stack.enter_context(_process(argv, directory / "prometheus.log"))
        server = PrometheusServer(f"http://127.0.0.1:{port}", exporters)
        wait_for(
            lambda: _all_up(server, list(scraped)), timeout=90, interval=0.25, message="the first scrapes"
        )
        yield server


def _config(scraped: dict[str, str], rules: Path | None) -> str:
    jobs = "".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['{address}']\n"
        for job, address in scraped.items()
    )
    rule_files = f"rule_files: ['{rules}']\n" if rules else ""
    return f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{rule_files}scrape_configs:\n{jobs}"


def _all_up(server: PrometheusServer, jobs: list[str]) -> bool:
    try:
        series = server.query("up == 1")
    except (httpx.HTTPError, ValueError, KeyError):
        return False  # not listening yet, or starting up (503 with a plain-text body)
    return {s["metric"]["job"] for s in series} >= set(jobs)
