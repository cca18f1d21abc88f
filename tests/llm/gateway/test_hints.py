"""Smoke hints fit the provider type and the error class."""

from __future__ import annotations

import pytest

from mapekd.llm import errors as e
from mapekd.llm.gateway.hints import NotJson, hint_for
from mapekd.llm.providers.registry import PROVIDER_TYPES

PROVIDER_ERRORS = [
    e.ProviderError,
    e.ProviderUnavailable,
    e.ProviderTimeout,
    e.RateLimited,
    e.Overloaded,
    e.ServerError,
    e.AuthenticationFailed,
    e.NotFound,
    e.BadRequest,
    e.MalformedResponse,
    e.StreamInterrupted,
    e.ModelLoadFailed,
    NotJson,
]
LOCAL_ERRORS = [e.CircuitOpen, e.BudgetExceeded, e.RateLimitExceeded]


@pytest.mark.parametrize(
    ("kind", "error", "expected"),
    [
        ("offline", e.NotFound, "no canned answer for this prompt"),
        ("offline", e.NotFound, "answers file (answers_path)"),
        ("offline", NotJson, "fix that entry in its answers file"),
        ("offline", e.RateLimited, "scripted fault"),
        ("offline", e.ProviderTimeout, "`delay:`"),
        ("offline", e.StreamInterrupted, "a drill, not an outage"),
        ("local_llama", e.ModelLoadFailed, "model_path is a readable GGUF file"),
        ("local_llama", e.ModelLoadFailed, "install mapekd[local]"),
        ("local_llama", e.BadRequest, "raise n_ctx"),
        ("local_llama", e.ServerError, "llama.cpp failed while generating"),
        ("local_llama", e.ProviderTimeout, "set n_threads"),
        ("local_llama", NotJson, "does not follow JSON schemas"),
        ("openai_compat", e.NotFound, "GET /models"),
        ("openai_compat", e.NotFound, "base_url (with its version prefix"),
        ("openai_compat", e.ProviderUnavailable, "nothing answers at base_url"),
        ("openai_compat", e.BadRequest, "json_schema_mode: json_object"),
        ("openai_compat", e.MalformedResponse, "not OpenAI's format"),
        ("openai_compat", e.AuthenticationFailed, "check api_key / api_keys"),
        ("openai_compat", e.RateLimited, "lower limits.rpm or add keys"),
        ("ollama", e.NotFound, "ollama pull"),
        ("ollama", e.ProviderUnavailable, "ollama serve"),
        ("ollama", e.ProviderTimeout, "keep_alive"),
        ("ollama", e.BadRequest, "ollama has no default"),
        ("ollama", e.MalformedResponse, "ollama server root"),
        ("anthropic", e.NotFound, "the server root, no /v1"),
        ("anthropic", e.AuthenticationFailed, "sk-ant-"),
        ("anthropic", e.Overloaded, "overloaded"),
        ("anthropic", e.BadRequest, "`version`"),
        ("anthropic", e.ProviderError, "daemon's log"),
        ("openai_compat", e.CircuitOpen, "breaker is open"),
        ("ollama", e.BudgetExceeded, "llm.budgets"),
        ("anthropic", e.RateLimitExceeded, "llm.limits"),
    ],
)
def test_hint(kind: str, error: type[Exception], expected: str) -> None:
    assert expected in hint_for(kind, error)


@pytest.mark.parametrize("kind", sorted(PROVIDER_TYPES))
@pytest.mark.parametrize("error", PROVIDER_ERRORS + LOCAL_ERRORS)
def test_every_type_and_error_class_has_a_hint(kind: str, error: type[Exception]) -> None:
    assert hint_for(kind, error)


@pytest.mark.parametrize("kind", ["offline", "local_llama"])
@pytest.mark.parametrize("error", PROVIDER_ERRORS)
def test_providers_without_a_server_are_never_told_to_check_one(kind: str, error: type[Exception]) -> None:
    hint = hint_for(kind, error)
    assert "base_url" not in hint and "API key" not in hint and "HTTP" not in hint


def test_an_unknown_error_has_no_hint() -> None:
    assert hint_for("openai_compat", KeyError) == ""
