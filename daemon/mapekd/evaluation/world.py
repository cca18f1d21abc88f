"""One run's small world: a directory, loopback ports, and the processes the evaluation starts there.

Every process of a run carries the run's tag in its command line (the evaluation's own processes
and the ones its actions start alike), so that the end of a run stops exactly those and no others."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from mapekd.evaluation import memcg

SVC = str(Path(__file__).resolve().parent / "svc.py")
"""The services' script, run by path with the interpreter of this process."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise TimeoutError(f"{what} not met within {timeout:g}s")


def answers(url: str, timeout: float = 0.5) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class World:
    dir: Path
    tag: str
    ports: dict[str, int] = field(default_factory=dict)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    cgroup: str | None = None
    """A cgroup the scenario made for the web service (removed by its cleanup)."""

    def __post_init__(self) -> None:
        for sub in ("spool", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        Path(self.path("web.conf")).write_text("workers = 4\ntimeout = 30\n")

    def web_files(self) -> dict[str, str]:
        """The web service's files, the same for the scene and for every action that starts it:
        its log, the data file each request writes, its config, the flags that degrade it or make
        it leak from its start."""
        files = {"log": self.log("web"), "data": self.path("web.data"), "conf": self.path("web.conf")}
        files |= {"degrade_flag": self.path("degrade"), "leak_flag": self.path("leak")}
        return files | ({"cgroup": self.cgroup} if self.cgroup else {})

    def port(self, name: str) -> int:
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def url(self, name: str, path: str = "/health") -> str:
        return f"http://127.0.0.1:{self.port(name)}{path}"

    def pidfile(self, name: str) -> str:
        return str(self.dir / f"{name}.pid")

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def svc(self, command: str, *options: str) -> list[str]:
        """The argv of one of svc.py's commands, tagged as this run's."""
        return [sys.executable, SVC, command, *options, "--", self.tag]

    def log(self, name: str) -> str:
        """The log file a service of this world writes (named in its checks' `logs:`)."""
        return self.path(f"{name}.log")

    def serve_options(self, name: str, upstream: str | None = None, **files: str) -> list[str]:
        """`svc.py serve` options; `files`: serve's file options (log, data, conf, broken_flag,
        degrade_flag, cgroup) by their names, e.g. `log=w.log("web")`."""
        options = ["--port", str(self.port(name)), "--pidfile", self.pidfile(name)]
        options += ["--upstream", self.url(upstream)] if upstream else []
        for option, value in files.items():
            options += ["--" + option.replace("_", "-"), value]
        return options

    def start(self, argv: list[str]) -> None:
        child = subprocess.Popen(
            argv,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.children.append(child)

    def pid(self, name: str) -> int | None:
        try:
            return int(Path(self.pidfile(name)).read_text())
        except (OSError, ValueError):
            return None

    def signal(self, name: str, sig: signal.Signals) -> None:
        pid = self.pid(name)
        assert pid is not None, f"{name} has no pid"
        os.kill(pid, sig)

    def alive(self, name: str) -> bool:
        pid = self.pid(name)
        try:
            return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def own_processes(self, marker: str | None = None) -> list[psutil.Process]:
        """This run's processes (those with an argument starting with its tag, or `marker`)."""
        found = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            with contextlib.suppress(psutil.Error):
                args = proc.info["cmdline"] or []
                if proc.info["status"] != psutil.STATUS_ZOMBIE and any(
                    arg.startswith(marker or self.tag) for arg in args
                ):
                    found.append(proc)
        return found

    def stop_all(self) -> None:
        """SIGKILL every process of this run (stopped ones too) and reap what was ours."""
        procs = self.own_processes()
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(procs, timeout=5)
        for child in self.children:
            child.wait(5)
        if self.cgroup is not None:
            memcg.remove(self.cgroup)
