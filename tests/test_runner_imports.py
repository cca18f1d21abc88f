"""A daemon loads only what its configuration uses: healing from rules and knowledge alone it
never imports the LLM stack, httpx, Jinja2 or prometheus_client (they cost a host agent memory
for nothing); a configuration that uses them (HTTP checks and webhooks need httpx) gets them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

OPTIONAL = (
    "httpx",
    "prometheus_client",
    "jinja2",
    "mapekd.llm.gateway",
    "mapekd.prompting",
    "mapekd.plan.llm_call",
    "pydantic.networks",
)


def loaded_by_one_cycle(tmp_path: Path, config: dict[str, Any]) -> set[str]:
    path = tmp_path / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    code = (
        "import sys, json\n"
        "from mapekd.cli.main import main\n"
        f"code = main(['run', '--once', '--dry-run', '--config', {str(path)!r}])\n"
        "print(json.dumps([code, sorted(m for m, v in sys.modules.items() if v is not None)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    code, modules = json.loads(out.stdout.splitlines()[-1])
    assert code == 0
    return {m for m in modules if any(m == o or m.startswith(o + ".") for o in OPTIONAL)}


def base(tmp_path: Path) -> dict[str, Any]:
    return {
        "checks": [
            {"name": "host", "type": "host"},
            {"name": "own", "type": "process", "match_name": "no-such-process-here"},
        ],
        "rules": [{"name": "own_gone", "check": "own", "when": "alive == false", "remedies": ["fix"]}],
        "actions": [{"name": "fix", "type": "command", "argv": ["true"]}],
        "knowledge": {"path": str(tmp_path / "kb.db")},
        "llm": {"embedded": False},  # no model: rules and knowledge decide
    }


def test_a_daemon_healing_without_a_model_loads_no_optional_stack(tmp_path: Path) -> None:
    assert loaded_by_one_cycle(tmp_path, base(tmp_path)) == set()


def test_webhooks_and_scrapes_load_what_they_need(tmp_path: Path) -> None:
    config = base(tmp_path)
    config["checks"].append(
        {"name": "web", "type": "http", "url": "http://127.0.0.1:9/health", "timeout": "1s"}
    )
    config["checks"].append(
        {
            "name": "app",
            "type": "prometheus",
            "url": "http://127.0.0.1:9/metrics",
            "metrics": [{"name": "up"}],
        }
    )
    config["actions"].append({"name": "page", "type": "webhook", "url": "http://127.0.0.1:9/hook"})
    loaded = loaded_by_one_cycle(tmp_path, config)
    assert {"httpx", "prometheus_client"} <= loaded
    assert not any(m.startswith(("mapekd.llm.gateway", "mapekd.prompting", "jinja2")) for m in loaded)


def test_importing_the_settings_builds_no_validator_of_a_section() -> None:
    # A section's default instance (`= DaemonConfig()`) builds that section's own validator at
    # import time, on top of the one of the settings that contains it: memory kept for nothing.
    code = (
        "import pydantic\n"
        "from pydantic._internal._mock_val_ser import MockValSer\n"
        "import mapekd.config.settings\n"
        "def every(cls):\n"
        "    for sub in cls.__subclasses__():\n"
        "        yield sub\n"
        "        yield from every(sub)\n"
        "built = sorted({c.__qualname__ for c in every(pydantic.BaseModel)\n"
        "                if not isinstance(c.__dict__.get('__pydantic_validator__'), MockValSer)})\n"
        "print(built)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert out.stdout.strip() == "[]"
