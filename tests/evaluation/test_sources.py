"""The sources an evaluation compares: which run by default, and one provider of several alone."""

from __future__ import annotations

from pathlib import Path

from mapekd.config.settings import Settings
from mapekd.evaluation import configs
from mapekd.evaluation.sources import config_for, default_sources
from mapekd.evaluation.world import World

TWO = {
    "providers": [
        {"name": "a", "type": "offline", "default_answer": "{}"},
        {"name": "b", "type": "offline", "default_answer": "{}"},
    ],
    "routing": {"strategy": "weighted", "order": ["a", "b"], "weights": {"a": 1, "b": 3}},
    "roles": {"plan": {"provider": "b"}, "analyze": {"provider": "a"}},
    "limits": {"a": {"rpm": 10}, "b": {"rpm": 20}},
    "cache": {"exact": {"enabled": True}},
}


def test_without_a_model_only_rule_and_knowledge_run() -> None:
    assert default_sources({"embedded": False}) == ["rule", "knowledge"]


def test_several_providers_also_decide_each_alone() -> None:
    assert default_sources(TWO) == ["rule", "knowledge", "llm", "pipeline", "llm:a", "llm:b"]


def test_one_provider_alone_keeps_only_what_is_its_own(tmp_path: Path) -> None:
    run = config_for("llm:a", tmp_path / "kb.db", TWO)
    llm = run["llm"]
    assert [p["name"] for p in llm["providers"]] == ["a"]
    assert llm["routing"]["order"] == ["a"] and llm["routing"]["weights"] == {}
    assert llm["roles"] == {"analyze": {"provider": "a"}}
    assert llm["limits"] == {"a": {"rpm": 10}}
    # Runs share a gateway: no answer may come from another run's cache.
    assert llm["cache"] == {"exact": {"enabled": False}, "semantic": {"enabled": False}}
    assert run["plan"] == {"llm": "always", "analyze": False}
    assert TWO["cache"] == {"exact": {"enabled": True}}  # the operator's section is left as it was
    settings = Settings.model_validate({**configs.web(World(tmp_path / "w", "mapekd-eval-test")), **run})
    assert [p.name for p in settings.llm.providers] == ["a"]
    assert settings.knowledge.path == str(tmp_path / "kb.db")
