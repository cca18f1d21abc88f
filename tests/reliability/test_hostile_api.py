"""A real `mapekd run` with its API enabled, under what any local user can do to a port without a
token: hold 1100 idle connections, dribble a head, send 64 MiB of headers, nest JSON deeply, take
the API's port first. The daemon keeps healing, the API keeps answering, memory stays put."""

from __future__ import annotations

import contextlib
import json
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import free_port, wait_for
from tests.e2e import conftest as e2e
from tests.e2e.harness import Daemon, Service, base_config, kill

service = e2e.service
daemons = e2e.daemons
READER = "reader-token-0000000000000001"
OPERATOR = "operator-token-00000000000002"
SIGNATURE = "svc_down@process:svc_process"
DAEMON_NOFILE = 1024
"""The daemon runs with the default soft limit a unit gets without LimitNOFILE."""


def api_config(tmp: Path, service: Service, **api: Any) -> dict[str, Any]:
    config = base_config(tmp, service, cooldown="0s")
    config["api"] = {
        "enabled": True,
        "port": free_port(),
        "tokens": [
            {"name": "viewer", "token": READER, "rights": ["read"]},
            {"name": "ops", "token": OPERATOR, "rights": ["read", "approve"]},
        ],
        **api,
    }
    return config


@contextlib.contextmanager
def nofile(soft: int) -> Iterator[None]:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def start(tmp: Path, daemons: list[Daemon], config: dict[str, Any]) -> Daemon:
    daemon = Daemon(tmp, config)
    daemons.append(daemon)
    with nofile(DAEMON_NOFILE):  # inherited by the daemon at its start, not raised later
        daemon.start()
    return daemon


def status(port: int, token: str = READER) -> int:
    try:
        url = f"http://127.0.0.1:{port}/api/v1/status"
        return httpx.get(url, headers={"authorization": f"Bearer {token}"}, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def heals(daemon: Daemon, service: Service) -> None:
    """Kill the service; the remedy runs and succeeds and the service answers again."""
    before = service.pid()
    assert before is not None
    kill(before)
    wait_for(lambda: (p := service.pid()) != before and p, message="service restarted")
    wait_for(service.healthy, message="service healthy again")
    report = wait_for(
        lambda: (i := daemon.incident(SIGNATURE)) and i["status"] == "resolved" and i,
        message="incident resolved",
    )
    execution = next(e for e in report["timeline"] if e["kind"] == "execution")
    assert execution["state"] == "succeeded" and execution["action"] == "start_svc"


def test_1100_idle_connections_neither_stop_healing_nor_the_api(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    service.start()
    config = api_config(tmp_path, service)
    daemon = start(tmp_path, daemons, config)
    port = config["api"]["port"]
    held: list[socket.socket] = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    try:
        for _ in range(1100):
            with contextlib.suppress(OSError):  # refused when the backlog is full: fine
                held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        assert len(held) >= 1000
        assert daemon.proc is not None
        fds = psutil.Process(daemon.proc.pid).num_fds()
        assert fds < 256 + 150, f"the daemon holds {fds} descriptors"
        heals(daemon, service)
        answered = wait_for(lambda: status(port) == 200, timeout=30, message="the API answers")
        assert answered
    finally:
        for sock in held:
            sock.close()
    assert daemon.stop() == 0


def dribble(port: int) -> float:
    """A head sent one byte every 200 ms; seconds until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /api/v1/status HTTP/1.1\r\n")
        try:
            for _ in range(150):
                time.sleep(0.2)
                sock.sendall(b"x")
        except OSError:
            pass
        with contextlib.suppress(OSError):
            while sock.recv(4096):
                pass
        return time.monotonic() - started


def flood(port: int, total: int) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/status HTTP/1.1\r\nhost: x\r\nx-filler: ")
        sent = 0
        with contextlib.suppress(OSError):
            while sent < total:
                sent += sock.send(b"a" * 65536)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return sent, answer


def test_hostile_requests_are_cut_short(tmp_path: Path, service: Service, daemons: list[Daemon]) -> None:
    service.start()
    config = api_config(tmp_path, service, limits={"header_timeout": "2s"})
    daemon = start(tmp_path, daemons, config)
    assert daemon.proc is not None
    port = config["api"]["port"]

    assert 1.8 <= dribble(port) < 10, "a dribbled head outlived the header deadline"

    proc = psutil.Process(daemon.proc.pid)
    rss_before = proc.memory_info().rss
    sent, answer = flood(port, 64 * 1024 * 1024)
    grown = proc.memory_info().rss - rss_before
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:80]
    assert grown < 16 * 1024 * 1024, f"64 MiB of headers grew the daemon by {grown} bytes"
    assert sent < 64 * 1024 * 1024, "the daemon read all 64 MiB"

    nested = b'{"decision": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer_nested = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/approvals/1",
        content=nested,
        headers={"authorization": f"Bearer {OPERATOR}", "content-type": "application/json"},
        timeout=10,
    )
    assert answer_nested.status_code == 400, answer_nested.text
    assert status(port) == 200
    heals(daemon, service)
    assert daemon.stop() == 0


def test_a_squatted_port_does_not_stop_the_daemon(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    service.start()
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    served: list[bytes] = []
    stop = threading.Event()

    def listen() -> None:  # what a squatter sees: `mapekd status` must not send it an approver
        squatter.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = squatter.accept()
                conn.settimeout(2)
                with conn, contextlib.suppress(OSError):
                    served.append(conn.recv(65536))

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        config = api_config(tmp_path, service, port=port)
        daemon = start(tmp_path, daemons, config)
        failure = daemon.events("api_bind_failed")
        assert failure and failure[0]["where"] == f"127.0.0.1:{port}"
        heals(daemon, service)
        run = subprocess.run(
            [sys.executable, "-m", "mapekd", "status", "--json", "--config", str(daemon.config_path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stderr
        assert OPERATOR.encode() not in b"".join(served)
        assert daemon.proc is not None and daemon.proc.poll() is None
    finally:
        stop.set()
        listener.join()
        squatter.close()
    assert daemon.stop() == 0


def test_the_unix_socket_and_mapekd_status(tmp_path: Path, service: Service, daemons: list[Daemon]) -> None:
    service.start()
    sock = tmp_path / "api.sock"
    config = api_config(tmp_path, service, port=None, unix_socket=str(sock))
    daemon = start(tmp_path, daemons, config)
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://localhost") as client:
        assert client.get("/api/v1/status").status_code == 401
        assert client.get("/api/v1/status", headers={"authorization": f"Bearer {READER}"}).status_code == 200
    run = subprocess.run(
        [sys.executable, "-m", "mapekd", "status", "--json", "--config", str(daemon.config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    report = json.loads(run.stdout)
    assert report["api"] == {"url": f"unix:{sock}", "live": True, "error": None}
    assert daemon.stop() == 0


@pytest.mark.parametrize("mode", [0o644, 0o660])
def test_a_token_file_open_to_others_is_exit_2_naming_the_key(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "ops.token"
    secret.write_text("file-token-0123456789\n")
    secret.chmod(mode)
    config = tmp_path / "mapekd.yaml"
    config.write_text(
        "api:\n  enabled: true\n  port: 0\n"
        f"  tokens:\n    - {{name: ops, token_file: {secret}, rights: [read]}}\n"
        f"knowledge: {{path: {tmp_path / 'kb.db'}}}\nllm: {{embedded: false}}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mapekd", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert "api.tokens[0].token_file" in run.stdout + run.stderr
