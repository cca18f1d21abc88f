"""Errors of the LLM layer, mapped by type and HTTP status, never by message text.

LLMError (mapekd.errors)
├── ProviderError               a provider call failed; `.provider`, `.retryable`
│   ├── ProviderUnavailable     connection refused / reset / DNS: nothing was processed   (retryable)
│   ├── ProviderTimeout         connect, read or total timeout                            (retryable)
│   ├── RateLimited             HTTP 429; `.retry_after` seconds if the server said        (retryable)
│   ├── Overloaded              HTTP 503 / Anthropic 529; `.retry_after`                   (retryable)
│   ├── ServerError             other HTTP 5xx                                             (retryable)
│   ├── AuthenticationFailed    HTTP 401 / 403
│   ├── NotFound                HTTP 404 (unknown model or route)
│   ├── BadRequest              other HTTP 4xx: the request itself is wrong
│   ├── MalformedResponse       the body is not what the wire format promises
│   ├── ModelLoadFailed         a local model cannot be loaded (file, format, memory, extra)
│   └── StreamInterrupted       the stream failed after its first chunk
├── UnsupportedFeature          this provider cannot do that (e.g. embeddings)
├── BudgetExceeded              a daily or per-task budget would be exceeded
├── RateLimitExceeded           a local limit is reached (non-blocking mode); `.wait_s`
├── CircuitOpen                 the provider's breaker is open
└── AllProvidersFailed          every route failed; `.errors` lists them in order
"""

from __future__ import annotations

from mapekd.errors import LLMError


class ProviderError(LLMError):
    retryable = False

    def __init__(self, provider: str, message: str, *, status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        super().__init__(f"{provider}: {message}")


class ProviderUnavailable(ProviderError):
    retryable = True


class ProviderTimeout(ProviderError):
    retryable = True


class _RetryAfter(ProviderError):
    retryable = True

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, status=status)
        self.retry_after = retry_after


class RateLimited(_RetryAfter):
    pass


class Overloaded(_RetryAfter):
    pass


class ServerError(_RetryAfter):
    pass


class AuthenticationFailed(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class BadRequest(ProviderError):
    pass


class MalformedResponse(ProviderError):
    pass


class StreamInterrupted(ProviderError):
    pass


class ModelLoadFailed(ProviderError):
    pass


class UnsupportedFeature(LLMError):
    pass


class BudgetExceeded(LLMError):
    pass


class RateLimitExceeded(LLMError):
    def __init__(self, message: str, *, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(message)


class CircuitOpen(LLMError):
    def __init__(self, provider: str) -> None:
        self.provider = provider
        super().__init__(f"{provider}: circuit open")


class AllProvidersFailed(LLMError):
    def __init__(self, errors: list[LLMError]) -> None:
        self.errors = errors
        super().__init__("all providers failed: " + "; ".join(str(e) for e in errors))
