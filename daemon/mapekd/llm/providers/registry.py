"""The provider registry: `type` in the configuration -> the class implementing it.

`build_provider` is the only place a provider is chosen by name; the gateway calls it once per
API key (passing that key and its model) and then talks to the Provider protocol only.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from mapekd.errors import ConfigError
from mapekd.llm.base import Provider
from mapekd.llm.providers.anthropic import AnthropicProvider
from mapekd.llm.providers.config import (
    AnthropicConfig,
    ApiKeyConfig,
    LocalLlamaConfig,
    OfflineConfig,
    OllamaConfig,
    OpenAICompatConfig,
    ProviderBase,
    ProviderConfig,
    TimeoutsConfig,
)
from mapekd.llm.providers.local_llama import LocalLlamaProvider
from mapekd.llm.providers.offline import OfflineProvider
from mapekd.llm.providers.ollama import OllamaProvider
from mapekd.llm.providers.openai_compat import OpenAICompatProvider

__all__ = [
    "PROVIDER_TYPES",
    "AnthropicConfig",
    "AnthropicProvider",
    "ApiKeyConfig",
    "LocalLlamaConfig",
    "LocalLlamaProvider",
    "OfflineConfig",
    "OfflineProvider",
    "OllamaConfig",
    "OllamaProvider",
    "OpenAICompatConfig",
    "OpenAICompatProvider",
    "ProviderBase",
    "ProviderConfig",
    "ProviderConstructor",
    "TimeoutsConfig",
    "build_provider",
]


class ProviderConstructor(Protocol):
    """A provider class: built from its config, one API key and model, and optional transport."""

    def __call__(
        self,
        config: Any,
        *,
        api_key: SecretStr | None,
        model: str | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> Provider: ...


PROVIDER_TYPES: dict[str, tuple[type[ProviderBase], ProviderConstructor]] = {
    "openai_compat": (OpenAICompatConfig, OpenAICompatProvider),
    "ollama": (OllamaConfig, OllamaProvider),
    "anthropic": (AnthropicConfig, AnthropicProvider),
    "local_llama": (LocalLlamaConfig, LocalLlamaProvider),
    "offline": (OfflineConfig, OfflineProvider),
}
"""type -> (its config model, its Provider class). Each class is built as
`cls(config, api_key=..., model=..., transport=...)`."""


def build_provider(
    config: ProviderConfig | ProviderBase,
    *,
    api_key: SecretStr | None = None,
    model: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Provider:
    """A Provider for `config`. `api_key` and `model` override the configured ones (one call per
    key); `transport` replaces the network (tests, offline replays). Unknown type: ConfigError."""
    kind = getattr(config, "type", None)
    entry = PROVIDER_TYPES.get(kind) if isinstance(kind, str) else None
    if entry is None:
        known = ", ".join(sorted(PROVIDER_TYPES))
        raise ConfigError(f"unknown provider type {kind!r} (known: {known})", path="type")
    config_cls, provider_cls = entry
    if not isinstance(config, config_cls):
        raise ConfigError(f"{kind} provider needs a {config_cls.__name__}", path="type")
    return provider_cls(config, api_key=api_key, model=model, transport=transport)
