"""What to check when a provider fails: chosen by the provider's TYPE and the error's CLASS, never
by message text. The type's own hints come first, then the generic ones; in each, the error's
classes are walked from the most specific. A type with no server (offline, local_llama) has its
own catch-all, so it is never told to check a base_url or an API key."""

from __future__ import annotations

from mapekd.llm.errors import (
    AuthenticationFailed,
    BadRequest,
    BudgetExceeded,
    CircuitOpen,
    MalformedResponse,
    ModelLoadFailed,
    NotFound,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RateLimitExceeded,
    ServerError,
    StreamInterrupted,
)

IMPLICIT_HINT = "add a provider under llm.providers (see config/full.yaml)"


class NotJson(MalformedResponse):
    """The answer to a JSON-schema request is not JSON of that schema."""


Hints = dict[type[BaseException], str]

GENERIC: Hints = {
    NotJson: "this model does not follow JSON schemas: the planner cannot use it to decide",
    ProviderUnavailable: "nothing answers: is the server running, is base_url right?",
    ProviderTimeout: "no answer in time: is the model loaded? raise timeouts.total if slow",
    AuthenticationFailed: "the API key was refused: check api_key / api_keys",
    NotFound: "unknown model or path: check model and base_url",
    RateLimited: "the provider rate-limits this key: lower limits.rpm or add keys",
    Overloaded: "the provider is overloaded: try again later (the gateway fails over meanwhile)",
    ServerError: "the provider failed on its side (HTTP 5xx): see its logs or status page",
    BadRequest: "the provider rejected the request (feature unsupported by this model?)",
    MalformedResponse: "the answer is not in the expected format: is it the right API type?",
    StreamInterrupted: "the stream broke mid-answer: check proxies in between and timeouts.read",
    ModelLoadFailed: "the model cannot be loaded: check model_path",
    CircuitOpen: "the breaker is open after repeated failures: see the earlier errors",
    BudgetExceeded: "the daily or per-task budget is spent (llm.budgets): see `mapekd llm status`",
    RateLimitExceeded: "a local limit (llm.limits, a key's rpm/tpm) refused the call: wait or raise it",
    ProviderError: "the provider failed unexpectedly: see the daemon's log for the traceback",
}

_SCRIPTED = (
    "a scripted fault (`error:` or a `delay:` past timeouts.total) in its answers file answered "
    "this prompt: a drill, not an outage"
)

BY_TYPE: dict[str, Hints] = {
    "offline": {
        NotFound: "no canned answer for this prompt: add a matching entry or a `default:` to its "
        "answers file (answers_path), or set default_answer",
        NotJson: "its canned answer for this prompt is not JSON of the schema: fix that entry in "
        "its answers file",
        ProviderError: _SCRIPTED,
    },
    "local_llama": {
        ModelLoadFailed: "the model cannot be loaded: check that model_path is a readable GGUF file "
        "that fits in memory (no model_path: install mapekd[local] for SmolLM2)",
        BadRequest: "llama.cpp rejected the request: the prompt may not fit, raise n_ctx",
        ServerError: "llama.cpp failed while generating: see the daemon's log; try another model",
        ProviderTimeout: "no answer in time on this CPU: raise timeouts.total, set n_threads, or "
        "use a smaller model",
        ProviderUnavailable: "the model was released (the gateway is closing): run it again",
        NotJson: "this model does not follow JSON schemas even under llama.cpp's grammar (answer cut "
        "at max_tokens?): the planner cannot use it to decide",
        ProviderError: "llama.cpp failed in-process: see the daemon's log",
    },
    "openai_compat": {
        NotFound: "unknown model or path: check model (GET /models lists them) and base_url "
        "(with its version prefix, e.g. .../v1)",
        ProviderUnavailable: "nothing answers at base_url: is the server (OpenAI, vLLM, llama.cpp, "
        "LM Studio) running, is the URL right?",
        BadRequest: "the server rejected the request: a feature this model lacks? (llama-cpp-python's "
        "server needs json_schema_mode: json_object)",
        MalformedResponse: "the answer is not OpenAI's format: is base_url an OpenAI-compatible API?",
    },
    "ollama": {
        NotFound: "model not on the server: run `ollama pull <model>` there, or check model and "
        "base_url (the server root, no /v1)",
        ProviderUnavailable: "nothing answers at base_url: is `ollama serve` running (default "
        "http://localhost:11434)?",
        ProviderTimeout: "no answer in time: ollama may still be loading the model; raise "
        "timeouts.total or set keep_alive",
        BadRequest: "ollama rejected the request: set `model` (ollama has no default) or use a "
        "model with this feature",
        AuthenticationFailed: "a proxy in front of ollama refused the key: check api_key",
        MalformedResponse: "the answer is not ollama's native API: is base_url an ollama server root?",
    },
    "anthropic": {
        NotFound: "unknown model or path: check model (e.g. claude-3-5-haiku-latest) and base_url "
        "(the server root, no /v1)",
        AuthenticationFailed: "the API key was refused: check api_key (an Anthropic key, sk-ant-...)",
        BadRequest: "Anthropic rejected the request: is `model` set, is `version` right?",
    },
}


def hint_for(provider_type: str, error: type[BaseException]) -> str:
    """The hint for `error` raised through a provider of `provider_type`; "" if none fits."""
    for table in (BY_TYPE.get(provider_type, {}), GENERIC):
        for cls in error.__mro__:
            if cls in table:
                return table[cls]
    return ""
