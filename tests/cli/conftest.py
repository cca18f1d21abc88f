"""A knowledge base with the known history of tests/cli/kbdata.py, and a way to run commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mapekd.cli.main import main
from tests.cli.kbdata import fill

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def history_db(tmp_path: Path) -> Path:
    path = tmp_path / "kb.db"
    fill(path)
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run_command(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_command
