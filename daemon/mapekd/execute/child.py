"""Starting an action's process so that it holds nothing of ours, and seeing it exit.

The child is started by `subprocess.Popen` with close_fds, not by the loop's subprocess support:
uvloop ignores close_fds and leaves its own duplicates of the stdio fds (and other inheritable
fds of the daemon) open in the child, so a background process the child starts kept the daemon's
output pipe open. Popen closes every fd but 0-2 in the child on either loop. Its exit is seen
through a pidfd registered with the running loop (Linux >= 5.3), and only then reaped, so the pid
(and its process group) cannot be reused while we may still signal it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping


class Child:
    """A started process in a session of its own (its pid is also its process group id)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._pidfd = os.pidfd_open(proc.pid)
        self._loop.add_reader(self._pidfd, self._on_exit)

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        code = self.proc.wait()  # it has exited: reaping does not block
        if not self._exited.done():
            self._exited.set_result(code)

    async def wait(self) -> int:
        """Its exit code; cancelling the wait leaves the process and its watch alone."""
        return await asyncio.shield(self._exited)

    def running(self) -> bool:
        return not self._exited.done() and self.proc.poll() is None

    def kill_group(self) -> None:
        """SIGKILL to its process group, only while the child itself has not exited: once it
        has, what it left running in the background is no longer ours to stop."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)


def spawn(argv: list[str], *, stdout: int, cwd: str | None, env: Mapping[str, str] | None) -> Child:
    """Start `argv` (no shell) with stdin /dev/null and stdout+stderr on `stdout`, in a new
    session, with exactly fds 0-2. Raises OSError when it cannot start."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stdout,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        close_fds=True,
        pass_fds=(),
        start_new_session=True,
    )
    try:
        return Child(proc)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
