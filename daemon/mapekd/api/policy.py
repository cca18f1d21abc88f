"""The limits a request meets before it reaches the gateway: prompt length, allowed models,
blocked patterns, and requests per minute per token (429 with Retry-After)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from mapekd.api.auth import Caller
from mapekd.api.errors import ApiError
from mapekd.config.api import ApiLimits
from mapekd.llm.limits import RateLimiter

RPM_ALGORITHM = "sliding_window"


class RequestPolicy:
    def __init__(self, limits: ApiLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._blocked = [re.compile(p) for p in limits.blocked_patterns]
        self._allowed = frozenset(limits.allowed_models)
        self._clock = clock
        self._rpm: dict[str, RateLimiter] = {}

    def admit(self, caller: Caller, texts: Sequence[str], model: str | None) -> None:
        """Raise ApiError unless this request may go to the gateway; counts it against the rate."""
        self.check_model(model)
        self.check_texts(texts)
        self.take(caller)

    def check_model(self, model: str | None) -> None:
        if model is not None and self._allowed and model not in self._allowed:
            raise ApiError(400, f"model {model!r} is not allowed", code="model_not_allowed", param="model")

    def check_texts(self, texts: Sequence[str]) -> None:
        total = sum(len(t) for t in texts)
        if total > self.limits.max_prompt_chars:
            raise ApiError(
                400,
                f"the prompt has {total} characters; at most {self.limits.max_prompt_chars} are accepted",
                code="prompt_too_long",
            )
        for text in texts:
            if any(p.search(text) for p in self._blocked):
                raise ApiError(400, "the prompt matches a blocked pattern", code="blocked_content")

    def take(self, caller: Caller) -> None:
        if self.limits.rpm is None:
            return
        limiter = self._rpm.get(caller.name)
        if limiter is None:
            limiter = RateLimiter(
                f"token {caller.name}",
                rpm=self.limits.rpm,
                tpm=None,
                algorithm=RPM_ALGORITHM,
                clock=self._clock,
            )
            self._rpm[caller.name] = limiter
        wait = limiter.wait_time(0)
        if wait > 0:
            raise ApiError(
                429,
                f"token {caller.name!r}: more than {self.limits.rpm} requests per minute",
                code="rate_limit_exceeded",
                headers={"retry-after": str(max(1, int(wait + 0.999)))},
            )
        limiter.take(0)
