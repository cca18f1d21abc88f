"""Running argv lists without a shell: to completion with a timeout, or detached."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from mapekd.execute.base import ExecResult

OUTPUT_TAIL = 2000


async def run_to_completion(
    argv: list[str], *, timeout: float, cwd: str | None = None, env: Mapping[str, str] | None = None
) -> ExecResult:
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return ExecResult("failed", _ms(started), error=f"cannot start {argv[0]}: {exc}")
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        _kill_group(proc.pid)
        await proc.wait()
        return ExecResult(
            "timeout", _ms(started), exit_code=proc.returncode, error=f"killed after {timeout:g}s timeout"
        )
    except asyncio.CancelledError:  # the daemon is stopping: leave nothing half-running behind
        _kill_group(proc.pid)
        await proc.wait()
        raise
    text = output.decode("utf-8", "replace")[-OUTPUT_TAIL:]
    ok = proc.returncode == 0
    return ExecResult(
        "succeeded" if ok else "failed",
        _ms(started),
        exit_code=proc.returncode,
        output_tail=text,
        error=None if ok else f"exit code {proc.returncode}",
    )


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
    `unit`: the transient unit `argv` (systemd-run) puts it in, named in the result."""
    started = time.monotonic()
    try:
        with _output(log_file) as out:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
    except OSError as exc:
        return ExecResult("failed", _ms(started), error=f"cannot start {argv[0]}: {exc}")
    try:
        code = await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        where = f" in {unit}" if unit else ""
        return ExecResult("succeeded", _ms(started), output_tail=f"started pid {proc.pid}{where}")
    # systemd-run refused the scope (e.g. by polkit) ends the same way; its message is in the log file.
    through = f" (through systemd-run, for {unit})" if unit else ""
    return ExecResult(
        "failed",
        _ms(started),
        exit_code=code,
        error=f"exited with code {code} within {grace:g}s of starting{through}",
    )


class _output:
    """A log file opened for appending, or DEVNULL; closed in the parent once the child has it."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.fd: int = asyncio.subprocess.DEVNULL

    def __enter__(self) -> int:
        if self.path:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.path:
            os.close(self.fd)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
