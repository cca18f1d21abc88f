"""The README claims nothing the code does not do, where that can be checked: every config key it
names exists in the schema, and every command and option in its tables answers `--help`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mapekd.cli.main import build_parser
from mapekd.config.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SECTIONS = set(Settings.model_fields)


def config_keys() -> list[str]:
    """Dotted keys in backticks that start with a top-level section, e.g. `policy.escalate`."""
    keys = re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)(?:[:=][^`]*)?`", README)
    return sorted({k for k in keys if k.split(".")[0] in SECTIONS})


def resolve(model: type[BaseModel], path: list[str]) -> bool:
    field = model.model_fields.get(path[0]) or next(
        (f for f in model.model_fields.values() if f.alias == path[0]), None
    )
    if field is None:
        return False
    if len(path) == 1:
        return True
    annotation: Any = field.annotation
    inner = getattr(annotation, "__args__", None)
    candidates = [annotation, *(inner or ())]
    return any(isinstance(c, type) and issubclass(c, BaseModel) and resolve(c, path[1:]) for c in candidates)


def test_the_readme_names_config_keys() -> None:
    assert len(config_keys()) >= 5


@pytest.mark.parametrize("key", config_keys())
def test_every_config_key_in_the_readme_exists(key: str) -> None:
    assert resolve(Settings, key.split(".")), f"README names `{key}`, which the schema does not have"


def command_rows() -> list[str]:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(mapekd [^`]+)` \|", table, flags=re.M)


def subparser(parser: argparse.ArgumentParser, words: list[str]) -> argparse.ArgumentParser:
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        assert word in action.choices, f"`mapekd {' '.join(words)}`: no command {word!r}"
        parser = action.choices[word]
    return parser


def test_the_readme_has_a_command_table() -> None:
    assert len(command_rows()) >= 5


@pytest.mark.parametrize("row", command_rows())
def test_every_command_and_option_in_the_readme_exists(row: str) -> None:
    text = row.replace("\\|", "|")
    alternatives = text.split("[")[0].split("|")
    head = [w for w in alternatives[0].split()[1:] if re.fullmatch(r"[a-z][a-z-]*", w)]
    paths = [[*head[:-1], alt.split()[-1]] for alt in alternatives] if len(alternatives) > 1 else [head]
    for path in paths:
        parser = subparser(build_parser(), path)
        options = {o for a in parser._actions for o in a.option_strings}
        for option in re.findall(r"(--[a-z][a-z-]*)", text):
            if len(paths) == 1:
                assert option in options, f"`mapekd {' '.join(path)}` has no option {option}"
