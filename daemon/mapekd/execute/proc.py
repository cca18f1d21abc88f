"""Running argv lists without a shell: to completion with a timeout, or detached.

Either way the process gets exactly fds 0-2 (execute.child) and runs in a session of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from mapekd.execute.base import ExecResult
from mapekd.execute.child import Child, spawn
from mapekd.execute.output import TailReader

OUTPUT_TAIL = 2000
"""Characters of output kept in the result (and in the knowledge base)."""


async def run_to_completion(
    argv: list[str], *, timeout: float, cwd: str | None = None, env: Mapping[str, str] | None = None
) -> ExecResult:
    """Run until the process itself exits, not until its output pipe closes: what it started in
    the background keeps running and is not waited for. On timeout (or cancellation) its process
    group is killed, as long as the process itself still runs."""
    started = time.monotonic()
    output = TailReader()
    try:
        try:
            child = spawn(argv, stdout=output.write_fd, cwd=cwd, env=env)
        except OSError as exc:
            return ExecResult("failed", _ms(started), error=f"cannot start {argv[0]}: {exc}")
        output.start()
        code = await _wait_or_kill(child, timeout)
        output.drain()
    finally:
        output.close()
    text = output.text(OUTPUT_TAIL)
    if code is None:
        error = f"killed after {timeout:g}s timeout"
        return ExecResult("timeout", _ms(started), child.proc.returncode, text, error)
    ok = code == 0
    return ExecResult(
        "succeeded" if ok else "failed",
        _ms(started),
        exit_code=code,
        output_tail=text,
        error=None if ok else f"exit code {code}",
    )


async def _wait_or_kill(child: Child, timeout: float) -> int | None:
    """The exit code, or None when it ran out of time and was killed with its group."""
    try:
        return await asyncio.wait_for(child.wait(), timeout)
    except TimeoutError:
        if not child.running():  # it exited just as its time ran out: that exit stands
            return await child.wait()
        child.kill_group()
        await child.wait()
        return None
    except asyncio.CancelledError:  # the daemon is stopping: leave nothing half-running behind
        child.kill_group()
        await child.wait()
        raise


async def start_detached(
    argv: list[str],
    *,
    grace: float,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    log_file: str | None = None,
    unit: str | None = None,
) -> ExecResult:
    """Start a long-running service in its own session; success if it is alive after `grace`.
    `unit`: the transient unit `argv` (systemd-run) puts it in, named in the result. The service
    is reaped whenever it exits later (its pidfd stays registered with the loop)."""
    started = time.monotonic()
    try:
        with _output(log_file) as out:
            child = spawn(argv, stdout=out, cwd=cwd, env=env)
    except OSError as exc:
        return ExecResult("failed", _ms(started), error=f"cannot start {argv[0]}: {exc}")
    try:
        code = await asyncio.wait_for(child.wait(), grace)
    except TimeoutError:
        where = f" in {unit}" if unit else ""
        return ExecResult("succeeded", _ms(started), output_tail=f"started pid {child.pid}{where}")
    # systemd-run refused the scope (e.g. by polkit) ends the same way; its message is in the log file.
    through = f" (through systemd-run, for {unit})" if unit else ""
    return ExecResult(
        "failed",
        _ms(started),
        exit_code=code,
        error=f"exited with code {code} within {grace:g}s of starting{through}",
    )


class _output:
    """A log file opened for appending, or /dev/null; closed in the parent once the child has it."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.fd: int = subprocess.DEVNULL

    def __enter__(self) -> int:
        if self.path:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.path:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
