"""One harness per provider for the contract suite: script the next answer or fault, build the
provider against it (a loopback server speaking the wire format, files, or the real model)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr, TypeAdapter

from mapekd.llm.base import Provider
from mapekd.llm.providers.registry import ProviderConfig, build_provider

from ..fakes.anthropic_api import FakeAnthropic
from ..fakes.ollama_api import FakeOllama
from ..fakes.openai_api import FakeOpenAI
from ..fakes.script import Fault, FaultKind, Script
from ..fakes.server import FakeServer

ALL_FAULTS: frozenset[FaultKind] = frozenset(
    {"rate_limited", "server_error", "overloaded", "stall", "malformed", "cut", "unauthorized"}
)


def config(raw: dict[str, Any]) -> Any:
    return TypeAdapter(ProviderConfig).validate_python(raw)


class Harness:
    kind = ""
    faults: frozenset[FaultKind] = ALL_FAULTS
    knows_text = True
    """False when the answer cannot be scripted (a real model)."""

    def __init__(self) -> None:
        self.script = Script()
        self._providers: list[Provider] = []

    async def start(self, stack: AsyncExitStack, tmp: Path) -> None:
        self.tmp = tmp

    def answer(self, text: str) -> None:
        self.script.answer(text)

    def fail(self, fault: Fault) -> None:
        self.script.fail(fault)

    def provider(self, *, total: float = 10.0) -> Provider:
        provider = build_provider(config(self.raw_config(total)), api_key=self.key())
        self._providers.append(provider)
        return provider

    def raw_config(self, total: float) -> dict[str, Any]:
        raise NotImplementedError

    def key(self) -> SecretStr | None:
        return None

    async def close_all(self) -> None:
        for provider in self._providers:
            await provider.close()


class HttpHarness(Harness):
    api: Any
    base_path = ""

    async def start(self, stack: AsyncExitStack, tmp: Path) -> None:
        await super().start(stack, tmp)
        self.api.script = self.script
        self.server = await stack.enter_async_context(FakeServer(self.api))

    def raw_config(self, total: float) -> dict[str, Any]:
        return {
            "name": self.kind,
            "type": self.kind,
            "model": "m1",
            "base_url": self.server.url + self.base_path,
            "timeouts": {"connect": 2, "read": min(total, 10.0), "total": total},
        }


class OpenAIHarness(HttpHarness):
    kind = "openai_compat"
    base_path = "/v1"

    def __init__(self) -> None:
        super().__init__()
        self.api = FakeOpenAI()

    def raw_config(self, total: float) -> dict[str, Any]:
        return {**super().raw_config(total), "model": "gpt-4o-mini"}


class OllamaHarness(HttpHarness):
    kind = "ollama"

    def __init__(self) -> None:
        super().__init__()
        self.api = FakeOllama()

    def raw_config(self, total: float) -> dict[str, Any]:
        return {**super().raw_config(total), "model": "llama3.2"}


class AnthropicHarness(HttpHarness):
    kind = "anthropic"

    def __init__(self) -> None:
        super().__init__()
        self.api = FakeAnthropic(key="sk-ant-contract")

    def key(self) -> SecretStr | None:
        return SecretStr("sk-ant-contract")


class OfflineHarness(Harness):
    """The scripted item becomes the answers file's catch-all entry."""

    kind = "offline"

    def raw_config(self, total: float) -> dict[str, Any]:
        path = self.tmp / f"answers{len(self._providers)}.yaml"
        path.write_text(yaml.safe_dump({"answers": [_entry(self.script.next())]}))
        return {"name": "offline", "type": "offline", "answers_path": str(path), "timeouts": {"total": total}}


def _entry(item: str | Fault) -> dict[str, Any]:
    if not isinstance(item, Fault):
        return {"answer": item}
    kinds = {
        "rate_limited": {"error": "rate_limited", "retry_after": float(item.retry_after)},
        "server_error": {"error": "server_error"},
        "overloaded": {"error": "overloaded"},
        "malformed": {"error": "malformed"},
        "unauthorized": {"error": "auth"},
        "stall": {"delay": "1h"},
        "cut": {"interrupt_after": 2, "answer": "This stream will break in the middle"},
    }
    return kinds[item.kind]


class LocalLlamaHarness(Harness):
    """The real SmolLM2 model in-process: answers are the model's own; only a stall (a total
    timeout shorter than any generation) can be scripted."""

    kind = "local_llama"
    faults = frozenset({"stall"})
    knows_text = False

    def provider(self, *, total: float = 120.0) -> Provider:
        stalled = self.script.next() == Fault("stall")
        return super().provider(total=0.001 if stalled else total)

    def raw_config(self, total: float) -> dict[str, Any]:
        return {"name": "local", "type": "local_llama", "n_ctx": 1024, "timeouts": {"total": total}}


HARNESSES: dict[str, type[Harness]] = {
    h.kind: h for h in (OpenAIHarness, OllamaHarness, AnthropicHarness, OfflineHarness, LocalLlamaHarness)
}
