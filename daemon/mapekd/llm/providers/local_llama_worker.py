"""One llama.cpp model instance and the lock that serializes its use across worker threads.

The model is made by a ModelLoader (default `load_llama`: llama_cpp.Llama); a caller may pass its
own, e.g. to wrap the model and observe each inference. Any failure to load is ModelLoadFailed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mapekd.llm.errors import BadRequest, ModelLoadFailed, ProviderError, ServerError, StreamInterrupted
from mapekd.llm.types import Chunk, Usage

ModelLoader = Callable[[dict[str, Any]], Any]
"""Llama keyword arguments -> a loaded model with llama_cpp.Llama's methods."""


def load_llama(args: dict[str, Any]) -> Any:
    import llama_cpp  # the optional [local] extra, imported on first use only

    if args["embedding"]:  # one pooled vector per input, not one per token
        args = {**args, "pooling_type": llama_cpp.LLAMA_POOLING_TYPE_MEAN}
    return llama_cpp.Llama(**args)


NICE = 10
"""How much lower than the daemon's the inference threads run (Linux: a per-thread nice value)."""


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICE)


class LlamaWorker:
    def __init__(
        self,
        provider: str,
        path: str,
        *,
        n_ctx: int,
        n_threads: int | None,
        embedding: bool,
        loader: ModelLoader = load_llama,
    ) -> None:
        self._provider = provider
        self._load = loader
        self._args: dict[str, Any] = {
            "model_path": path,
            "n_ctx": n_ctx,
            "embedding": embedding,
            "verbose": False,
        }
        if n_threads is not None:
            self._args["n_threads"] = n_threads
        self._lock = threading.Lock()
        self._llm: Any = None
        self._tasks: set[asyncio.Future[None]] = set()
        # Inference gets a thread of its own, not the event loop's shared pool (every process and
        # host check reads /proc there), and runs at a lower priority (its ggml threads inherit
        # it): a model generating never starves crash detection of CPU.
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"llama-{provider}", initializer=_lower_priority
        )

    def embed(self, inputs: list[str]) -> dict[str, Any]:
        with self._lock:
            llm = self._loaded()
            result: dict[str, Any] = self._guarded(lambda: llm.create_embedding(inputs))
            return result

    def release(self) -> None:
        """Free the model (waits for a running inference)."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
        self._executor.shutdown(wait=False)

    async def stream(self, kwargs: dict[str, Any]) -> AsyncGenerator[Chunk, None]:
        """Chunks produced by a worker thread, passed through an asyncio.Queue."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(kind: str, item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, item))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stop.set()

        def produce() -> None:
            try:
                with self._lock:
                    llm = self._loaded()
                    post("prompt_tokens", _prompt_tokens(llm, kwargs["messages"]))
                    for piece in self._guarded(lambda: llm.create_chat_completion(**kwargs, stream=True)):
                        if stop.is_set():
                            return
                        post("chunk", piece)
                post("end", None)
            except Exception as exc:  # handed to the consumer, which raises it
                post("error", exc)

        task = loop.run_in_executor(self._executor, produce)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            async for chunk in _consume(queue, self._provider):
                yield chunk
        finally:
            stop.set()

    def _loaded(self) -> Any:
        if self._llm is None:
            try:
                self._llm = self._load(dict(self._args))
            except Exception as exc:  # llama.cpp says ValueError for an unreadable file
                path = self._args["model_path"]
                raise ModelLoadFailed(
                    self._provider, f"cannot load {path}: {type(exc).__name__}: {exc}"
                ) from exc
        return self._llm

    def _guarded(self, run: Callable[[], Any]) -> Any:
        """llama_cpp errors by type: ValueError (e.g. prompt over n_ctx) -> BadRequest."""
        try:
            return run()
        except ProviderError:
            raise
        except ValueError as exc:
            raise BadRequest(self._provider, f"llama.cpp rejected the request: {exc}") from exc
        except Exception as exc:
            raise ServerError(self._provider, f"llama.cpp failed: {type(exc).__name__}") from exc


async def _consume(queue: asyncio.Queue[tuple[str, Any]], provider: str) -> AsyncIterator[Chunk]:
    finish: str | None = None
    prompt_tokens = output_tokens = 0
    while True:
        kind, item = await queue.get()
        if kind == "error":
            raise item
        if kind == "end":
            break
        if kind == "prompt_tokens":
            prompt_tokens = item
            continue
        choice = item["choices"][0]
        finish = choice.get("finish_reason") or finish
        delta = (choice.get("delta") or {}).get("content")
        if delta:
            output_tokens += 1
            yield Chunk(delta=delta)
    if finish is None:
        raise StreamInterrupted(provider, "generation ended without a finish_reason")
    yield Chunk(
        delta="", finish_reason=finish, usage=Usage(input_tokens=prompt_tokens, output_tokens=output_tokens)
    )


def _prompt_tokens(llm: Any, messages: list[dict[str, str]]) -> int:
    text = "\n".join(m["content"] for m in messages)
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False))
