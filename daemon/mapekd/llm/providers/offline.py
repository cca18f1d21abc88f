"""Prepared answers and embeddings from files: `mode: offline`, the last fallback, and tests.

Like httpx's MockTransport this is a real, public implementation, not a test double: answers are
matched against the last user message (see offline_data for the file format), and scripted
faults (`error`, `delay`, `interrupt_after`) raise the same errors a network backend would, so
drills exercise the gateway's failover exactly as an outage would. Usage counts are
whitespace-token estimates. Texts missing from the embeddings file get a deterministic hashed
bag-of-words vector (lexical similarity only).

It can rank (the `Ranker` capability), deterministically: a matching entry's `scores` are the
options' log-likelihoods; else the option its answer names (the whole answer, or a JSON answer's
`action`) is likely and the others are not; an answer naming no option ranks them all alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from collections.abc import AsyncIterator, Mapping, Sequence

import httpx
from pydantic import SecretStr

from mapekd.llm import errors as e
from mapekd.llm.providers.calls import call, guarded_stream
from mapekd.llm.providers.config import OfflineConfig
from mapekd.llm.providers.offline_data import OfflineAnswer, load_answers, load_embeddings
from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings, Usage

_FAULTS: dict[str, tuple[type[e.ProviderError], int | None]] = {
    "rate_limited": (e.RateLimited, 429),
    "overloaded": (e.Overloaded, 503),
    "server_error": (e.ServerError, 500),
    "unavailable": (e.ProviderUnavailable, None),
    "timeout": (e.ProviderTimeout, None),
    "malformed": (e.MalformedResponse, None),
    "auth": (e.AuthenticationFailed, 401),
}


class OfflineProvider:
    def __init__(
        self,
        config: OfflineConfig,
        *,
        api_key: SecretStr | None = None,
        model: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        answers: Sequence[OfflineAnswer] | None = None,
        embeddings: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        """Files named in `config` are read now (ConfigError if unusable); `answers` and
        `embeddings` given here come first. `api_key` and `transport` are not used."""
        self.name = config.name
        self._model = model or config.model or "offline"
        self._total = config.timeouts.total
        loaded = load_answers(config.answers_path) if config.answers_path else None
        self._answers = list(answers or ()) + (loaded.answers if loaded else [])
        self._default = (loaded.default if loaded else None) or config.default_answer
        self._vectors = {k: tuple(v) for k, v in (embeddings or {}).items()}
        if config.embeddings_path:
            self._vectors = {**load_embeddings(config.embeddings_path), **self._vectors}
        first = next(iter(self._vectors.values()), None)
        self._dim = len(first) if first else config.embedding_dim
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        self._closed = True

    async def chat(self, request: ChatRequest) -> Completion:
        entry, text = self._pick(request)

        async def answer() -> Completion:
            await self._prepare(entry)
            if entry.interrupt_after is not None:
                raise e.ProviderUnavailable(self.name, "scripted: connection lost mid-answer")
            return Completion(
                text=text,
                model=request.model or self._model,
                provider=self.name,
                usage=_usage(request, text),
                finish_reason="stop",
            )

        return await call(self.name, self._total, answer)

    async def rank(self, request: ChatRequest, options: Sequence[str]) -> dict[str, float]:
        entry, text = self._pick(request)

        async def scores() -> dict[str, float]:
            await self._prepare(entry)
            if entry.scores is not None:
                return {o: entry.scores.get(o, UNLIKELY) for o in options}
            named = _named(text)
            if named not in options:
                return dict.fromkeys(options, ALIKE)
            return {o: LIKELY if o == named else UNLIKELY for o in options}

        return await call(self.name, self._total, scores)

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return guarded_stream(self.name, self._total, self._chunks(request))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        entry, text = self._pick(request)
        await self._prepare(entry)
        for index, piece in enumerate(re.findall(r"\s*\S+\s*|\s+", text)):
            if entry.interrupt_after is not None and index >= entry.interrupt_after:
                raise e.StreamInterrupted(self.name, "scripted: stream cut")
            yield Chunk(delta=piece)
            await asyncio.sleep(0)
        yield Chunk(delta="", finish_reason="stop", usage=_usage(request, text))

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        self._check_open()
        vectors = tuple(self._vectors.get(t) or _hashed(t, self._dim) for t in request.inputs)
        tokens = sum(len(t.split()) for t in request.inputs)
        return Embeddings(
            vectors=vectors,
            model=request.model or self._model,
            provider=self.name,
            usage=Usage(input_tokens=tokens),
        )

    async def models(self) -> list[str]:
        self._check_open()
        return [self._model]

    def _check_open(self) -> None:
        if self._closed:
            raise e.ProviderUnavailable(self.name, "provider is closed")

    def _pick(self, request: ChatRequest) -> tuple[OfflineAnswer, str]:
        self._check_open()
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        for entry in self._answers:
            if entry.matches(last):
                return entry, entry.answer
        if self._default is None and not self._answers:
            raise e.NotFound(self.name, "no prepared answers at all (no answers_path, no default_answer)")
        if self._default is None:
            raise e.NotFound(self.name, "no prepared answer matches and no default is set")
        return OfflineAnswer(answer=self._default), self._default

    async def _prepare(self, entry: OfflineAnswer) -> None:
        if entry.delay:
            await asyncio.sleep(entry.delay)
        if entry.error is not None:
            cls, status = _FAULTS[entry.error]
            message = f"scripted {entry.error}"
            if issubclass(cls, e.RateLimited | e.Overloaded | e.ServerError):
                raise cls(self.name, message, status=status, retry_after=entry.retry_after)
            raise cls(self.name, message, status=status)


LIKELY, ALIKE, UNLIKELY = -0.1, -2.0, -30.0
"""Log-likelihoods rank() gives: the named option, every option of an answer naming none, the rest."""


def _named(answer: str) -> str:
    """The option an answer names: itself, or a JSON answer's `action`."""
    try:
        value = json.loads(answer)
    except ValueError:
        return answer.strip()
    return str(value.get("action", "")) if isinstance(value, dict) else answer.strip()


def _usage(request: ChatRequest, answer: str) -> Usage:
    prompt = sum(len(m.content.split()) for m in request.messages)
    return Usage(input_tokens=prompt, output_tokens=len(answer.split()))


def _hashed(text: str, dim: int) -> tuple[float, ...]:
    """A unit vector: each word adds +-1 at a position chosen by its hash."""
    vector = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        vector[digest % dim] += 1.0 if (digest >> 63) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return tuple(x / norm for x in vector) if norm else tuple(vector)
