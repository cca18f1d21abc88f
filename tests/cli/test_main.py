"""The command line: lazy commands cost nothing until used, and look the same in `--help`."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from mapekd.cli.main import LAZY_COMMANDS, build_parser, lazy_modules_for

HEAVY = ("sqlite_utils", "prometheus_client", "jinja2", "numpy", "rich", "click", "mapekd.llm.gateway")


def _choices(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action.help for action in sub._choices_actions}


def test_lazy_commands_are_listed_with_their_real_help_lines() -> None:
    assert _choices(build_parser(selected=())) == _choices(build_parser())


def _runnable(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name for name, p in sub.choices.items() if len(p._actions) > 1}  # more than --help


def test_each_lazy_module_declares_exactly_the_commands_it_registers() -> None:
    always = _runnable(build_parser(selected=()))
    assert always == {"run", "check-config"}
    for module, commands in LAZY_COMMANDS.items():
        assert _runnable(build_parser(selected=[module])) - always == set(commands), module


def test_the_lazy_module_of_a_command_is_picked_from_the_command_line() -> None:
    assert lazy_modules_for(["run", "--config", "x.yaml"]) == []
    assert lazy_modules_for(["kb", "show", "3"]) == ["mapekd.cli.kb"]
    assert lazy_modules_for(["--config", "f.yaml", "llm", "chat", "hi"]) == ["mapekd.cli.llm"]
    assert lazy_modules_for(["llm", "status"]) == [
        "mapekd.cli.status",
        "mapekd.cli.llm",
    ]  # only costs an import
    assert lazy_modules_for(["approve", "7"]) == ["mapekd.cli.decide_cmds"]


def test_run_help_imports_neither_the_knowledge_base_nor_the_llm_stack() -> None:
    code = (
        "import sys, json\n"
        "from mapekd.cli.main import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.splitlines()[-1])
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []  # rich and click would come with httpx's own command-line client
