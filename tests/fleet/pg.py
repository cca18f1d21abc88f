"""A real PostgreSQL for the fleet's tests: Debian's server binaries, a cluster made by initdb in
a fresh temporary directory and run as the `postgres` user (initdb refuses root), listening on
a free loopback port and on a unix socket inside that directory. Stopped, and its directory
removed, at the end; only the server this object started is ever signalled."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import psutil
import psycopg

from tests.conftest import free_port, wait_for

BIN = Path("/usr/lib/postgresql/15/bin")


class Postgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mapekd-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._owner is not None:  # the directory must be the server user's, and reachable
            os.chown(self.dir, self._owner.pw_uid, self._owner.pw_gid)
            self.dir.chmod(0o755)

    def _run(self, *argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, user=self._user, timeout=60)

    @property
    def _user(self) -> str | None:
        return "postgres" if self._owner is not None else None

    def init(self) -> Postgres:
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        return self

    def start(self) -> Postgres:
        """Run the server in the foreground as a child of the test (so the test can kill it)."""
        with (self.dir / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.dir),
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self._user,
                start_new_session=True,
            )
        wait_for(self._accepts, timeout=60, message="PostgreSQL accepting connections")
        return self

    def _accepts(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited: {(self.dir / 'server.log').read_text()[-2000:]}")
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def _tree(self) -> list[psutil.Process]:
        """The postmaster and its children (each backend calls setsid(): no process group
        holds them all)."""
        assert self.proc is not None
        root = psutil.Process(self.proc.pid)
        return [root, *root.children(recursive=True)]

    def _each(self, sig: signal.Signals) -> None:
        for proc in reversed(self._tree()):  # the backends first, the postmaster last
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                proc.send_signal(sig)

    def freeze(self) -> None:
        """SIGSTOP the server and every backend: connections stay open, nothing answers."""
        self._each(signal.SIGSTOP)

    def thaw(self) -> None:
        self._each(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends (the test started them all)."""
        assert self.proc is not None
        self._each(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
