"""Where the shipped data (prompts, migrations, runbooks) lives: inside the installed package
(`mapekd/_data/...`, put there by the wheel build) or, in a source checkout, at the repo root."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`prompts` or `knowledge`, from any working directory."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mapekd data directory {name!r} not found (broken installation?)")


def migrations_dir() -> Path:
    return data_dir("knowledge") / "migrations"
