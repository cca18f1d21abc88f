"""The `api:` section: the HTTP API and OpenAI-compatible gateway (off unless enabled).

api:
  enabled: true
  host: 127.0.0.1                 # loopback unless allow_remote_plain_http says otherwise
  port: 8765                      # null: no TCP listener (unix_socket only)
  unix_socket: /run/mapekd/api.sock   # optional, served beside TCP; mode 0660
  tokens:                         # no token: everything but /healthz is refused
    - {name: ops, token_file: /etc/mapekd/ops.token, rights: [read, approve]}
    - {name: apps, rights: [llm]} # token from MAPEKD_API__TOKENS__APPS__TOKEN
  limits: {max_prompt_chars: 32000, allowed_models: [], blocked_patterns: [], rpm: 120,
           max_connections: 256, max_header_bytes: 16384, max_headers: 100,
           header_timeout: 5s, keepalive_timeout: 5s}
  jobs: {max_queued: 100, max_queued_per_token: 20, workers: 2, retention: 1h}
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from mapekd.config.base import Name, StrictModel, section
from mapekd.config.durations import Duration

Right = Literal["read", "approve", "llm", "alerts"]
"""read: status, incidents, approvals list; approve: decide approvals; llm: the provider layer
(/v1, /api/v1/llm); alerts: push Alertmanager webhooks into the loop."""


class ApiToken(StrictModel):
    name: Name
    token: SecretStr | None = None
    """The bearer token itself; better from the environment: MAPEKD_API__TOKENS__<NAME>__TOKEN."""
    token_file: str | None = None
    """A file holding the token (surrounding whitespace ignored), read when the API starts."""
    rights: list[Right] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> ApiToken:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("exactly one of token or token_file is required")
        if self.token is not None and len(self.token.get_secret_value()) < 16:
            raise ValueError("a token must be at least 16 characters")
        return self


class ApiLimits(StrictModel):
    max_prompt_chars: int = Field(default=32_000, gt=0)
    """Total characters of every field of a request forwarded to the provider: messages, tools,
    response_format and stop (or the prompt, or the embedding inputs)."""
    allowed_models: list[str] = Field(default_factory=list)
    """Models a caller may ask for by name; empty: any."""
    blocked_patterns: list[str] = Field(default_factory=list)
    """Regular expressions (Python syntax); a prompt matching any is refused with 400."""
    rpm: int | None = Field(default=None, gt=0)
    """Requests per minute per token on the LLM endpoints; None: unlimited."""
    max_connections: int = Field(default=256, ge=1, le=4096)
    """Open connections (TCP and unix socket together); beyond it a new one is closed at once, so
    the API never eats the file descriptors the daemon's actions need."""
    max_header_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    """Request line and headers together; more: 431 and the connection is closed."""
    max_headers: int = Field(default=100, ge=8, le=1000)
    """Header fields per request; more: 431 and the connection is closed."""
    header_timeout: Duration = Field(default=5.0, gt=0, le=300)
    """A connection must deliver a complete request head this long after it opened (or after
    the previous response); else it is closed."""
    keepalive_timeout: Duration = Field(default=5.0, gt=0, le=300)
    """An idle kept-alive connection is closed after this long (rounded up to whole seconds)."""

    @field_validator("blocked_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"blocked_patterns[{i}] is not a valid regex: {exc}") from None
        return patterns


class JobsConfig(StrictModel):
    """What the queue may hold on disk is bounded: at most max_queued requests of at most
    max_request_bytes, and at most max_finished results of at most max_result_bytes."""

    max_queued: int = Field(default=100, ge=1)
    """Accepted jobs not finished yet (queued or running); beyond it POST /v1/chat/jobs gets 429."""
    max_queued_per_token: int = Field(default=20, ge=1)
    """Pending jobs of one token; beyond it that token gets 429 (the others still get in)."""
    workers: int = Field(default=2, ge=1, le=64)
    max_request_bytes: int = Field(default=262_144, gt=0)
    """A job's request body; larger: 413 (api.max_body_bytes still applies too)."""
    max_result_bytes: int = Field(default=65_536, gt=0)
    """A job's stored result; a larger answer fails the job with code result_too_large."""
    max_attempts: int = Field(default=3, ge=1, le=100)
    """Runs started for one job (counted when a worker takes it, so a job that crashed the
    daemon counts); after that many the job fails with "gave up after N attempts"."""
    retention: Duration = Field(default=3600.0, gt=0)
    """Finished jobs (and their results) are deleted this long after they finished."""
    max_finished: int = Field(default=500, ge=1)
    """Finished jobs kept at most; the oldest go first."""
    prune_every: Duration = Field(default=60.0, gt=0)
    """How often finished jobs are pruned while the API runs."""


class ApiConfig(StrictModel):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int | None = Field(default=8765, ge=0, le=65535)
    """TCP port (0: any free one); None: no TCP listener, the unix socket only."""
    allow_remote_plain_http: bool = False
    """The API speaks plain HTTP: a host other than loopback is refused unless this says yes."""
    unix_socket: str | None = None
    """A unix socket to serve the API on as well (bearer tokens apply there too)."""
    unix_socket_mode: int = Field(default=0o660, ge=0, le=0o777)
    """File mode of the unix socket (YAML 0660 is octal); its owner is the daemon's user."""
    tokens: list[ApiToken] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    """Larger request bodies are refused with 413 before they are read whole."""
    max_cycle_age: Duration | None = None
    """/readyz fails when a check group's last collection is older than this; None, per group:
    max(2 x the group's interval, its interval + 10s)."""
    limits: ApiLimits = section()
    jobs: JobsConfig = section()

    @model_validator(mode="after")
    def _unique_tokens(self) -> ApiConfig:
        names = [t.name for t in self.tokens]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"duplicate token name {name!r} (api.tokens[{i}])")
        return self

    @model_validator(mode="after")
    def _somewhere_safe(self) -> ApiConfig:
        if self.enabled and self.port is None and self.unix_socket is None:
            raise ValueError("with port null, unix_socket is required (the API would listen nowhere)")
        if self.port is not None and not self.allow_remote_plain_http and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is not loopback and the API speaks plain HTTP: "
                "set allow_remote_plain_http: true to serve it anyway"
            )
        return self


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere
