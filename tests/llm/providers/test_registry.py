"""The registry, build_provider and the provider configuration models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

import mapekd.llm.providers.registry as providers
from mapekd.errors import ConfigError
from mapekd.llm.base import Provider
from mapekd.llm.providers.registry import (
    PROVIDER_TYPES,
    AnthropicConfig,
    ApiKeyConfig,
    OpenAICompatConfig,
    ProviderConfig,
    build_provider,
)

ADAPTER: TypeAdapter[Any] = TypeAdapter(ProviderConfig)


def test_exported_members_are_pinned() -> None:
    assert sorted(providers.__all__) == sorted(
        [
            "PROVIDER_TYPES",
            "ProviderConstructor",
            "build_provider",
            "ProviderConfig",
            "ProviderBase",
            "ApiKeyConfig",
            "TimeoutsConfig",
            "OpenAICompatConfig",
            "OllamaConfig",
            "AnthropicConfig",
            "LocalLlamaConfig",
            "OfflineConfig",
            "OpenAICompatProvider",
            "OllamaProvider",
            "AnthropicProvider",
            "LocalLlamaProvider",
            "OfflineProvider",
        ]
    )


def test_registry_covers_every_config_type() -> None:
    assert set(PROVIDER_TYPES) == {"openai_compat", "ollama", "anthropic", "local_llama", "offline"}
    for kind, (config_cls, _) in PROVIDER_TYPES.items():
        assert config_cls.model_fields["type"].annotation.__args__ == (kind,)


@pytest.mark.parametrize("kind", ["openai_compat", "ollama", "anthropic", "offline"])
async def test_build_provider_gives_a_provider(kind: str) -> None:
    provider = build_provider(ADAPTER.validate_python({"name": "p", "type": kind}))
    assert isinstance(provider, Provider)
    assert provider.name == "p"
    await provider.close()


def test_unknown_type_is_a_config_error() -> None:
    class Strange:
        type = "gpt5_magic"

    with pytest.raises(ConfigError, match="unknown provider type 'gpt5_magic'"):
        build_provider(Strange())  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"name": "p", "type": "gpt5_magic"})


def test_defaults_and_durations() -> None:
    config = ADAPTER.validate_python(
        {"name": "a", "type": "anthropic", "timeouts": {"total": "2m", "connect": "500ms"}}
    )
    assert isinstance(config, AnthropicConfig)
    assert config.base_url == "https://api.anthropic.com"
    assert config.version == "2023-06-01"
    assert (config.timeouts.connect, config.timeouts.read, config.timeouts.total) == (0.5, 60.0, 120.0)
    openai = ADAPTER.validate_python({"name": "o", "type": "openai_compat"})
    assert isinstance(openai, OpenAICompatConfig)
    assert openai.base_url == "https://api.openai.com/v1"


def test_several_keys_each_with_model_and_limits() -> None:
    config = ADAPTER.validate_python(
        {
            "name": "o",
            "type": "openai_compat",
            "api_keys": [
                {"key": "sk-a", "model": "gpt-4o-mini", "rpm": 60, "tpm": 100000},
                {"key": "sk-b", "model": "gpt-4o"},
            ],
        }
    )
    keys = config.keys()
    assert [k.model for k in keys] == ["gpt-4o-mini", "gpt-4o"]
    assert keys[0].rpm == 60 and keys[1].tpm is None
    assert "sk-a" not in repr(config)


def test_api_key_shorthand() -> None:
    config = ADAPTER.validate_python({"name": "o", "type": "ollama", "api_key": "k"})
    assert config.keys() == [ApiKeyConfig(key=SecretStr("k"))]
    with pytest.raises(ValidationError, match="either api_key or api_keys"):
        ADAPTER.validate_python({"name": "o", "type": "ollama", "api_key": "k", "api_keys": [{"key": "j"}]})


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "o", "type": "ollama", "modle": "typo"},
        {"name": "o", "type": "openai_compat", "base_url": "localhost:8000"},
        {"name": "bad name", "type": "offline"},
        {"name": "o", "type": "openai_compat", "api_keys": [{"key": "k", "rpm": 0}]},
        {"name": "l", "type": "local_llama", "n_ctx": 0},
    ],
)
def test_invalid_configs_are_rejected(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(raw)


async def test_api_key_and_model_overrides_reach_the_wire() -> None:
    import httpx

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    config = ADAPTER.validate_python({"name": "o", "type": "openai_compat", "api_key": "sk-cfg"})
    provider = build_provider(
        config, api_key=SecretStr("sk-override"), transport=httpx.MockTransport(handler)
    )
    await provider.models()
    await provider.close()
    assert seen[0].headers["authorization"] == "Bearer sk-override"
