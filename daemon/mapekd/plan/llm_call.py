"""The one way the daemon asks its LLM: render a template (fitted to the model's context), redact
the rendered messages (the one choke point before anything leaves the process), call the gateway
with the JSON schema and a deadline, parse into a typed model, one repair attempt.

Output that does not parse is never acted on: the caller gets `parsed=None` and the reason.
Every call record is tagged with the incident, template and version (see `call_tags`).
`rank` is the same path for a model that chooses instead of writing: the options' likelihoods.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mapekd.errors import MapekdError
from mapekd.llm.gateway import Gateway
from mapekd.llm.types import ChatRequest, Message
from mapekd.prompting import (
    OutputInvalid,
    Prompts,
    Redactor,
    Rendered,
    budget,
    render_fitted,
    repair_messages,
)

T = TypeVar("T")
CallTags = tuple[int | None, str | None, str | None]
"""(incident id, template, version) of the call in flight, for the call-record sink."""
call_tags: ContextVar[CallTags] = ContextVar("call_tags", default=(None, None, None))


MAX_TOKENS = {"analyze": 768, "plan": 320, "explain": 320}
"""Answer room per role; the prompt is fitted into the model's context minus this."""
RANK_TOKENS = 32
"""Room for the longest option when the model ranks (a name of at most 64 characters)."""


@dataclass(frozen=True)
class _Call:
    rendered: Rendered
    schema: Mapping[str, Any] | None
    role: str
    incident_id: int | None
    max_tokens: int


@dataclass
class Asked(Generic[T]):
    parsed: T | None
    raw: str
    error: str | None
    template: str
    version: str
    model: str | None
    latency_ms: float

    def record(self) -> dict[str, Any]:
        """What the decision row keeps of this call."""
        return {
            "template": self.template,
            "version": self.version,
            "model": self.model,
            "raw": self.raw,
            "error": self.error,
            "latency_ms": self.latency_ms,
        }


class LLMCaller:
    def __init__(
        self, gateway: Gateway, prompts: Prompts, redactor: Redactor, *, context_tokens: int = 2048
    ) -> None:
        self.gateway = gateway
        self.prompts = prompts
        self.redactor = redactor
        self.context_tokens = context_tokens

    async def ask(
        self,
        template: str,
        context: Mapping[str, Any],
        schema: Mapping[str, Any] | None,
        parse: Callable[[str], T],
        *,
        role: str,
        incident_id: int | None,
        deadline: float,
    ) -> Asked[T]:
        max_tokens = MAX_TOKENS.get(role, 256)
        started = time.monotonic()
        rendered = self._fit(template, context, max_tokens)
        if isinstance(rendered, str):  # e.g. PromptTooLarge: nothing was sent
            return Asked(None, "", rendered, template, "", None, _ms(started))
        call = _Call(rendered, schema, role, incident_id, max_tokens)
        raw, model, error = "", None, None
        with _tagged((incident_id, rendered.template, rendered.version)):
            try:
                async with asyncio.timeout(deadline):
                    raw, model = await self._chat(call, rendered.messages)
                    try:
                        return self._done(parse(self.redactor.restore(raw)), raw, rendered, model, started)
                    except OutputInvalid as exc:  # one repair attempt, then give up
                        raw, model = await self._chat(call, repair_messages(rendered, raw, str(exc)))
                        return self._done(parse(self.redactor.restore(raw)), raw, rendered, model, started)
            except TimeoutError:
                error = f"no answer within the {deadline:g}s deadline"
            except OutputInvalid as exc:
                error = f"invalid output after one repair: {exc}"
            except MapekdError as exc:  # the provider layer's errors (mapped there by type)
                error = f"{type(exc).__name__}: {exc}"
        return Asked(None, raw, error, rendered.template, rendered.version, model, _ms(started))

    def can_rank(self, role: str) -> bool:
        """The model this role is asked first can rank given answers (a capability, not a name)."""
        return self.gateway.can_rank(role)

    async def rank(
        self,
        template: str,
        context: Mapping[str, Any],
        options: Sequence[str],
        *,
        role: str,
        incident_id: int | None,
        deadline: float,
    ) -> Asked[dict[str, float]]:
        """The model's log-likelihood of each option as the answer (parsed), or the error."""
        started = time.monotonic()
        rendered = self._fit(template, context, RANK_TOKENS)
        if isinstance(rendered, str):
            return Asked(None, "", rendered, template, "", None, _ms(started))
        request = ChatRequest(
            messages=self.redactor.redact(rendered.messages),
            max_tokens=RANK_TOKENS,
            temperature=0.0,
            role=role,
            task=f"incident-{incident_id}" if incident_id is not None else None,
        )
        error = None
        with _tagged((incident_id, rendered.template, rendered.version)):
            try:
                async with asyncio.timeout(deadline):
                    ranked = await self.gateway.rank(request, options)
                raw = json.dumps(ranked.scores)
                return Asked(
                    ranked.scores, raw, None, rendered.template, rendered.version, ranked.model, _ms(started)
                )
            except TimeoutError:
                error = f"no ranking within the {deadline:g}s deadline"
            except MapekdError as exc:
                error = f"{type(exc).__name__}: {exc}"
        return Asked(None, "", error, rendered.template, rendered.version, None, _ms(started))

    def _fit(self, template: str, context: Mapping[str, Any], max_tokens: int) -> Rendered | str:
        """The prompt fitted with room for `max_tokens`, or why it cannot be sent."""
        try:
            return render_fitted(self.prompts, template, context, budget(max_tokens, self.context_tokens))
        except MapekdError as exc:
            return f"{type(exc).__name__}: {exc}"

    async def _chat(self, call: _Call, messages: tuple[Message, ...]) -> tuple[str, str]:
        request = ChatRequest(
            messages=self.redactor.redact(messages),
            max_tokens=call.max_tokens,
            temperature=0.0,
            json_schema=call.schema,
            role=call.role,
            task=f"incident-{call.incident_id}" if call.incident_id is not None else None,
        )
        completion = await self.gateway.chat(request)
        return completion.text, completion.model

    def _done(self, parsed: T, raw: str, rendered: Rendered, model: str, started: float) -> Asked[T]:
        return Asked(parsed, raw, None, rendered.template, rendered.version, model, _ms(started))


@contextmanager
def _tagged(tags: CallTags) -> Iterator[None]:
    token = call_tags.set(tags)
    try:
        yield
    finally:
        call_tags.reset(token)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
