"""The test's handle on the chaos upstream (chaos.py) run as a process of its own: start it,
switch its mode, read when chat requests reached it, SIGKILL it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_for

REPO = Path(__file__).resolve().parents[3]


class ChaosUpstream:
    """The chaos fake as a process of its own on a fixed port (a restart answers where it did)."""

    def __init__(self, tmp: Path, port: int) -> None:
        self.port = port
        self.control = tmp / "chaos.mode"
        self.log = tmp / "chaos.requests"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, mode: str) -> None:
        self.set(mode)
        argv = ["--port", str(self.port), "--control", str(self.control), "--log", str(self.log)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.llm.fakes.chaos", *argv], cwd=REPO, start_new_session=True
        )
        wait_for(self._answers, message="chaos upstream listening")

    def _answers(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/v1/models", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def set(self, mode: str) -> None:
        """Atomically: a request never reads a half-written mode."""
        staged = self.control.with_suffix(".next")
        staged.write_text(mode)
        os.replace(staged, self.control)

    def chats(self) -> list[float]:
        """When each chat request arrived."""
        if not self.log.exists():
            return []
        lines = [line.split(" ") for line in self.log.read_text().splitlines()]
        return [float(ts) for ts, *route in lines if route == ["POST", "/v1/chat/completions"]]

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[ChaosUpstream]:
    """A chaos upstream on a free port, not started yet; killed at the end if it runs."""
    fake = ChaosUpstream(tmp_path, free_port())
    yield fake
    if fake.proc is not None and fake.proc.poll() is None:
        fake.kill()
