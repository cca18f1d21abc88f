"""Every command is in `mapekd --help` with a line of help, answers its own `--help`, and has a
row in the README's command table; every row names a command that exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from mapekd.cli.main import build_parser, main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Every leaf command's words, with the help its parent lists it with."""
    found: dict[tuple[str, ...], str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                below = commands(sub, (*path, name))
                found.update(below or {(*path, name): helps.get(name, "")})
    return found


def documented() -> set[tuple[str, ...]]:
    """Command words of the README table's first column; `a b \\| c` stands for `a b` and `a c`."""
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    found: set[tuple[str, ...]] = set()
    for first_cell in re.findall(r"^\| (.+?) \| ", table, flags=re.M):
        for usage in re.findall(r"`(mapekd [^`]+)`", first_cell):
            alternatives = usage.split("[")[0].split("\\|")
            head = re.findall(r"(?<!\S)([a-z][a-z-]*)(?!\S)", alternatives[0])[1:]
            found.add(tuple(head))
            found.update((*head[:-1], alt.strip().split()[0]) for alt in alternatives[1:])
    return found


ALL = commands(build_parser())


def test_the_readme_and_the_parser_name_the_same_commands() -> None:
    assert len(ALL) >= 15
    assert set(ALL) - documented() == set(), "commands missing from the README's table"
    assert documented() - set(ALL) == set(), "README rows naming no command"


@pytest.mark.parametrize("path", sorted(ALL), ids=" ".join)
def test_every_command_answers_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert ALL[path].strip(), f"`mapekd {' '.join(path)}` has no help line in its parent's list"
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and out.startswith(f"usage: mapekd {' '.join(path)}")
