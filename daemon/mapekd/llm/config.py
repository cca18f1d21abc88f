"""The `llm:` section: providers, routing, roles, retries, breaker, limits, cache, prices, budgets.

    llm:
      mode: auto                      # auto | online | offline
      providers: [...]                # see mapekd.llm.providers.config
      routing: {strategy: failover, order: [openai, local]}
      roles: {analyze: {provider: openai, model: gpt-4o-mini}}
      retries: {max_attempts: 3, base_delay: 200ms, max_delay: 5s}
      breaker: {failure_threshold: 5, reset_timeout: 30s}
      limits: {openai: {rpm: 60, tpm: 100000, algorithm: token_bucket, blocking: false}}
      cache: {exact: {enabled: true, max_entries: 1024, ttl: 1h}, semantic: {enabled: false}}
      prices: {gpt-4o-mini: {input_per_mtok: 0.15, output_per_mtok: 0.6}}
      budgets: {daily: 5.0, per_task: 0.05}

An empty section is valid: with no providers the gateway has one implicit offline provider,
`implicit_offline`, with no answers (every chat fails over to the loop's rules); status and smoke
say so.
Cross references (routing, roles, limits naming providers) raise ConfigError with the key path.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mapekd.config.base import Name, StrictModel, section
from mapekd.config.durations import Duration
from mapekd.errors import ConfigError
from mapekd.llm.embedded import EMBEDDED_PROVIDER, embedded_model_installed
from mapekd.llm.providers.config import (
    ImplicitOfflineConfig,
    LocalLlamaConfig,
    OfflineConfig,
    ProviderConfig,
)

Strategy = Literal["failover", "round_robin", "least_latency", "random", "weighted"]
Algorithm = Literal["token_bucket", "sliding_window", "fixed_window"]

SEMANTIC_MIN_THRESHOLD = 0.95
"""Below this, paraphrase caches serve wrong answers (negations, swapped entities)."""

IMPLICIT_PROVIDER = "implicit_offline"
IMPLICIT_NOTE = "no llm providers configured; this implicit offline provider has no answers"

OFFLINE_TYPES = (OfflineConfig, LocalLlamaConfig)
"""Provider configurations that answer without any network: the only ones `mode: offline` uses."""


class RoutingSettings(StrictModel):
    strategy: Strategy = "failover"
    order: list[Name] = Field(default_factory=list)
    """Providers tried first, in this order; unlisted ones follow in configuration order."""
    weights: dict[Name, float] = Field(default_factory=dict)
    """`weighted` only; a provider not listed weighs 1."""
    ewma_alpha: float = Field(default=0.3, gt=0, le=1)
    """`least_latency` only: the weight of the newest latency sample."""


class RoleRoute(StrictModel):
    provider: Name | None = None
    """Tried first for this role; None: the routing strategy decides."""
    model: str | None = None
    """The model asked of that provider (or of every provider when `provider` is None)."""


class RetrySettings(StrictModel):
    max_attempts: int = Field(default=3, ge=1)
    """Provider calls per request, all fallbacks included (offline providers are not counted)."""
    base_delay: Duration = 0.2
    max_delay: Duration = 5.0
    max_retry_after: Duration = 30.0
    """A Retry-After longer than this is not waited for: that provider is left for this request."""


class BreakerSettings(StrictModel):
    failure_threshold: int = Field(default=5, ge=1)
    """Consecutive failures that open the circuit."""
    reset_timeout: Duration = 30.0
    """How long an open circuit waits before admitting a single probe."""


class LimitSettings(StrictModel):
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    """Input + output tokens per minute, reserved with max_tokens before the call."""
    algorithm: Algorithm = "token_bucket"
    blocking: bool = False
    """True: wait for capacity (up to max_wait); False: fail over at once."""
    max_wait: Duration = 30.0


class ExactCacheSettings(StrictModel):
    enabled: bool = True
    max_entries: int = Field(default=1024, ge=1)
    ttl: Duration = 3600.0


class SemanticCacheSettings(StrictModel):
    enabled: bool = False
    threshold: float = Field(default=0.97, ge=SEMANTIC_MIN_THRESHOLD, le=1.0)
    max_entries: int = Field(default=512, ge=1)
    ttl: Duration = 3600.0
    embed_provider: Name | None = None
    """Embed with this provider; None: the local all-MiniLM-L6-v2 (extra `semantic`)."""


class CacheSettings(StrictModel):
    exact: ExactCacheSettings = section()
    semantic: SemanticCacheSettings = section()


class ModelPrice(StrictModel):
    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)


class BudgetSettings(StrictModel):
    daily: float | None = Field(default=None, ge=0)
    """Spend per UTC day across every call; None: unlimited."""
    per_task: float | None = Field(default=None, ge=0)
    """Spend per `ChatRequest.task`; None: unlimited."""


class LLMSettings(StrictModel):
    mode: Literal["auto", "online", "offline"] = "auto"
    providers: list[ProviderConfig] = Field(default_factory=list)
    routing: RoutingSettings = section()
    roles: dict[Name, RoleRoute] = Field(default_factory=dict)
    retries: RetrySettings = section()
    breaker: BreakerSettings = section()
    limits: dict[Name, LimitSettings] = Field(default_factory=dict)
    cache: CacheSettings = section()
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    """Keyed by model name, or `provider/model` to price one provider's model apart."""
    budgets: BudgetSettings = section()
    embedded: bool = True
    """With no providers configured: use the embedded SmolLM2-135M-Instruct (in-process, the
    `[local]` extra) before the implicit offline provider. False: no LLM unless configured."""
    plan_deadline: Duration = 30.0
    """How long the daemon waits for a plan from the LLM before it decides from the rule."""
    analyze_deadline: Duration = 30.0
    """How long an incident's analysis may take (it never delays an action)."""

    @model_validator(mode="after")
    def _references_resolve(self) -> LLMSettings:
        names = [p.name for p in self.providers]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ConfigError(f"duplicate provider {name!r}", path=f"llm.providers[{i}].name")
        known = set(names)
        refs = [(f"llm.routing.order[{i}]", n) for i, n in enumerate(self.routing.order)]
        refs += [(f"llm.routing.weights.{n}", n) for n in self.routing.weights]
        refs += [(f"llm.limits.{n}", n) for n in self.limits]
        refs += [(f"llm.roles.{r}.provider", v.provider) for r, v in self.roles.items() if v.provider]
        if self.cache.semantic.embed_provider:
            refs.append(("llm.cache.semantic.embed_provider", self.cache.semantic.embed_provider))
        for path, name in refs:
            if name not in known:
                listed = ", ".join(names) or "none configured"
                raise ConfigError(f"unknown provider {name!r} (known: {listed})", path=path)
        if self.mode == "offline" and self.providers and not self.offline_providers():
            raise ConfigError("mode offline needs an offline or local_llama provider", path="llm.mode")
        if self.mode == "online" and all(isinstance(p, OFFLINE_TYPES) for p in self.providers):
            raise ConfigError("mode online needs a provider that is not offline", path="llm.mode")
        return self

    def effective_providers(self) -> list[ProviderConfig]:
        """The configured providers; with none, the embedded model (when `embedded` and the
        `[local]` extra is installed) and then the implicit offline provider (no answers)."""
        if self.providers:
            return list(self.providers)
        implicit: list[ProviderConfig] = [ImplicitOfflineConfig(name=IMPLICIT_PROVIDER, type="offline")]
        if self.embedded and embedded_model_installed():
            return [LocalLlamaConfig(name=EMBEDDED_PROVIDER, type="local_llama"), *implicit]
        return implicit

    def offline_providers(self) -> list[str]:
        return [p.name for p in self.effective_providers() if isinstance(p, OFFLINE_TYPES)]
