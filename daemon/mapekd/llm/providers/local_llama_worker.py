"""One llama.cpp model in a child process of its own (local_llama_child), started on first use.

llama.cpp cannot be interrupted in the middle of a step, and a thread cannot be killed: a call
given up (a deadline, an abandoned stream, the daemon stopping) kills the child instead, at once
(SIGTERM, then SIGKILL after TERM_GRACE), and the next call starts a new one (the model loads in
well under a second). Every answer line is read with a size bound, every failure is one of our
errors: the child's own ("load", "bad_request", "server") by name, a dead child ServerError, an
unreadable or oversized line MalformedResponse.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import mapekd
from mapekd.llm.errors import (
    BadRequest,
    MalformedResponse,
    ModelLoadFailed,
    ProviderError,
    ProviderUnavailable,
    ServerError,
    StreamInterrupted,
)
from mapekd.llm.types import Chunk, Usage

CHILD_MODULE = "mapekd.llm.providers.local_llama_child"
LINE_LIMIT = 16 * 1024 * 1024
"""The longest answer line read from the child (an embedding batch is the longest)."""
TERM_GRACE = 0.3
"""How long a child asked to end (SIGTERM) has before it is killed (SIGKILL)."""
ERRORS: dict[str, type[ProviderError]] = {
    "load": ModelLoadFailed,
    "bad_request": BadRequest,
    "server": ServerError,
}
log = logging.getLogger("mapekd.llm")


class Inference(NamedTuple):
    """One inference as the child measured it: its CPU seconds and monotonic start and end."""

    cpu_s: float
    started: float
    ended: float


class LlamaProcess:
    def __init__(self, provider: str, args: dict[str, Any]) -> None:
        self._provider = provider
        self._args = args
        self._proc: asyncio.subprocess.Process | None = None
        self._closed = False
        self.inferences: collections.deque[Inference] = collections.deque(maxlen=64)
        """The latest inferences, as the child measured them."""

    @property
    def pid(self) -> int | None:
        """The running child's, if any."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def stream(self, kwargs: dict[str, Any]) -> AsyncGenerator[Chunk, None]:
        """The chat's chunks as the child generates them."""
        async with contextlib.aclosing(self._exchange({"op": "chat", "kwargs": kwargs})) as messages:
            async for chunk in _chunks(messages, self._provider):
                yield chunk

    async def embed(self, inputs: list[str]) -> tuple[list[list[float]], int]:
        """One vector per input, and the input tokens counted."""
        async with contextlib.aclosing(self._exchange({"op": "embed", "inputs": inputs})) as messages:
            [answer] = [m async for m in messages]
        return answer["vectors"], int(answer["tokens"])

    async def rank(self, messages: list[dict[str, str]], options: list[str]) -> dict[str, float]:
        """Each option's log-likelihood as the whole answer to `messages`."""
        request = {"op": "rank", "messages": messages, "options": options}
        async with contextlib.aclosing(self._exchange(request)) as answers:
            [answer] = [m async for m in answers]
        scores = answer.get("scores")
        if not isinstance(scores, dict) or set(scores) != set(options):
            raise MalformedResponse(self._provider, "the model's process scored other options")
        return {str(option): float(value) for option, value in scores.items()}

    async def close(self) -> None:
        """End the child and start none any more."""
        self._closed = True
        await self.stop()

    async def stop(self) -> None:
        """End the child at once (a running inference with it); safe to call more than once,
        and from several tasks: each returns once the child has ended."""
        proc = self._proc
        if proc is None:
            return
        try:
            await _end(proc)
        finally:
            if self._proc is proc:
                self._proc = None

    async def _exchange(self, request: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """The answer's lines up to its end; a caller leaving before the end kills the child."""
        proc = await self._started()
        finished = False
        try:
            await self._send(proc, request)
            while True:
                message = await self._receive(proc)
                if "error" in message:
                    finished = message["error"] != "load"  # a model that did not load is gone
                    kind = ERRORS.get(str(message["error"]), ServerError)
                    raise kind(self._provider, str(message.get("message", "")))
                if "end" in message:
                    finished = True
                    self._measured(message["end"])
                    return
                yield message
        finally:
            if not finished:
                await self.stop()

    async def _started(self) -> asyncio.subprocess.Process:
        if self._closed:
            raise ProviderUnavailable(self._provider, "provider is closed")
        if self._proc is None or self._proc.returncode is not None:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                CHILD_MODULE,
                json.dumps(self._args),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                limit=LINE_LIMIT,
                cwd="/",  # `-m` puts the working directory on the path: nothing to find there
                env=_child_env(),
            )
            if self._closed:  # closed while the child was starting
                await self.stop()
                raise ProviderUnavailable(self._provider, "provider is closed")
        return self._proc

    async def _send(self, proc: asyncio.subprocess.Process, request: dict[str, Any]) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ServerError(self._provider, "the model's process is gone") from exc

    async def _receive(self, proc: asyncio.subprocess.Process) -> dict[str, Any]:
        assert proc.stdout is not None
        try:
            line = await proc.stdout.readline()
        except ValueError as exc:  # asyncio's word for a line over the limit
            raise MalformedResponse(self._provider, f"an answer line over {LINE_LIMIT} bytes") from exc
        if not line:
            raise ServerError(self._provider, "the model's process ended")
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise MalformedResponse(self._provider, "the model's process wrote something else") from exc
        if not isinstance(message, dict):
            raise MalformedResponse(self._provider, "the model's process wrote something else")
        return message

    def _measured(self, stats: dict[str, float]) -> None:
        inference = Inference(float(stats["cpu_s"]), float(stats["started"]), float(stats["ended"]))
        self.inferences.append(inference)
        log.info(
            "local inference done",
            extra={
                "event": {
                    "event": "local_inference",
                    "provider": self._provider,
                    "cpu_s": inference.cpu_s,
                    "wall_s": round(inference.ended - inference.started, 4),
                }
            },
        )


async def _end(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after TERM_GRACE; returns once the process has ended."""
    if proc.stdin is not None:
        proc.stdin.close()  # the child's transport is then fully closed once it has ended
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERM_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    except asyncio.CancelledError:  # stopped again while stopping: no grace left
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        raise


CHILD_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
CHILD_ENV_PREFIXES = ("GGML_", "LLAMA_", "OMP_")
"""What the model's process gets of the daemon's environment: locale, paths and llama.cpp's own
tuning, never the credentials the daemon itself may hold."""


def _child_env() -> dict[str, str]:
    """That part of the environment, with mapekd importable however the daemon found it."""
    env = {k: v for k, v in os.environ.items() if k in CHILD_ENV or k.startswith(CHILD_ENV_PREFIXES)}
    root = str(Path(mapekd.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {**env, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


async def _chunks(messages: AsyncIterator[dict[str, Any]], provider: str) -> AsyncIterator[Chunk]:
    finish: str | None = None
    prompt_tokens = output_tokens = 0
    async for message in messages:
        if "prompt_tokens" in message:
            prompt_tokens = int(message["prompt_tokens"])
            continue
        try:
            choice = message["piece"]["choices"][0]
            finish = choice.get("finish_reason") or finish
            delta = (choice.get("delta") or {}).get("content")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise MalformedResponse(provider, "a chunk without choices from the model's process") from exc
        if delta:
            output_tokens += 1
            yield Chunk(delta=delta)
    if finish is None:
        raise StreamInterrupted(provider, "generation ended without a finish_reason")
    yield Chunk(
        delta="", finish_reason=finish, usage=Usage(input_tokens=prompt_tokens, output_tokens=output_tokens)
    )
