from __future__ import annotations

import pytest
from pydantic import ValidationError

from mapekd.errors import ConfigError
from mapekd.llm.config import LLMSettings
from mapekd.llm.embedded import embedded_model_installed

from .doubles import provider


def test_an_empty_section_is_valid_with_the_implicit_offline_provider() -> None:
    settings = LLMSettings.model_validate({"embedded": False})
    assert settings.mode == "auto"
    assert settings.cache.semantic.enabled is False
    assert settings.cache.exact.enabled is True
    assert [p.type for p in settings.effective_providers()] == ["offline"]
    assert settings.offline_providers() == ["implicit_offline"]
    assert [p.implicit for p in settings.effective_providers()] == [True]


def test_with_the_local_extra_an_empty_section_uses_the_embedded_model_first() -> None:
    assert embedded_model_installed()  # `make` installs the [local] extra
    providers = LLMSettings.model_validate({}).effective_providers()
    assert [(p.name, p.type) for p in providers] == [
        ("embedded", "local_llama"),
        ("implicit_offline", "offline"),
    ]
    assert [p.implicit for p in providers] == [False, True]


def test_only_the_implicit_provider_is_implicit_and_no_one_can_claim_to_be() -> None:
    settings = LLMSettings.model_validate({"providers": [provider("canned", "offline")]})
    assert [p.implicit for p in settings.effective_providers()] == [False]
    with pytest.raises(ValidationError):
        LLMSettings.model_validate({"providers": [provider("canned", "offline", implicit=True)]})


def test_durations_and_defaults_parse() -> None:
    settings = LLMSettings.model_validate(
        {"retries": {"base_delay": "100ms", "max_delay": "2s"}, "breaker": {"reset_timeout": "1m"}}
    )
    assert settings.retries.base_delay == 0.1
    assert settings.breaker.reset_timeout == 60.0


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"roles": {"analyze": {"provider": "nope"}}}, "llm.roles.analyze.provider"),
        ({"routing": {"order": ["a", "nope"]}}, "llm.routing.order[1]"),
        ({"routing": {"weights": {"nope": 2}}}, "llm.routing.weights.nope"),
        ({"limits": {"nope": {"rpm": 1}}}, "llm.limits.nope"),
        ({"cache": {"semantic": {"embed_provider": "nope"}}}, "llm.cache.semantic.embed_provider"),
    ],
)
def test_unknown_provider_references_name_the_key(config: dict, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        LLMSettings.model_validate({"providers": [provider("a")], **config})
    assert info.value.path == path
    assert "'nope'" in info.value.message and "known: a" in info.value.message


def test_duplicate_provider_names_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        LLMSettings.model_validate({"providers": [provider("a"), provider("a")]})
    assert info.value.path == "llm.providers[1].name"


def test_semantic_threshold_below_095_is_refused() -> None:
    with pytest.raises(ValidationError):
        LLMSettings.model_validate({"cache": {"semantic": {"enabled": True, "threshold": 0.9}}})
    ok = LLMSettings.model_validate({"cache": {"semantic": {"threshold": 0.95}}})
    assert ok.cache.semantic.threshold == 0.95


def test_online_mode_needs_an_online_provider() -> None:
    for providers in ([], [provider("canned", "offline")]):
        with pytest.raises(ConfigError) as info:
            LLMSettings.model_validate({"mode": "online", "providers": providers})
        assert info.value.path == "llm.mode"


def test_offline_mode_needs_an_offline_provider() -> None:
    with pytest.raises(ConfigError) as info:
        LLMSettings.model_validate({"mode": "offline", "providers": [provider("a")]})
    assert info.value.path == "llm.mode"
    LLMSettings.model_validate(
        {"mode": "offline", "providers": [provider("a"), provider("canned", "offline")]}
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"routing": {"strategy": "fastest"}},
        {"limits": {}, "retries": {"max_attempts": 0}},
        {"typo": 1},
        {"cache": {"exact": {"max_entries": 0}}},
        {"budgets": {"daily": -1}},
    ],
)
def test_invalid_values_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        LLMSettings.model_validate(bad)
