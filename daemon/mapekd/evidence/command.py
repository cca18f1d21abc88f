"""Running a system tool for evidence (journalctl, systemctl): blocking, bounded in time and bytes.

Gatherers run in a worker thread, so this is plain blocking code, not the event loop's subprocess
support. Like an action's process (execute.child) the tool gets argv (no shell), stdin /dev/null,
no fd of ours but its pipes, and a session of its own, so the whole group can be killed. Output
beyond `max_bytes` stops the reading and the tool, like the deadline does: what was read stays.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

READ_CHUNK = 65_536
STDERR_CAP = 4096


@dataclass(frozen=True, slots=True)
class ToolOutput:
    code: int | None
    """Exit code; None when it was stopped (deadline or output cap) or could not start."""
    stdout: bytes
    stderr: str
    error: str | None = None
    """Why the output may be incomplete or missing: not started, deadline, output cap."""

    @property
    def ok(self) -> bool:
        return self.code == 0


def run_tool(argv: list[str], *, timeout: float, max_bytes: int) -> ToolOutput:
    """Run `argv` until it exits, `timeout` passes or it wrote `max_bytes` to stdout."""
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,
            env={"LC_ALL": "C.UTF-8", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""},
        )
    except OSError as exc:
        return ToolOutput(None, b"", "", f"cannot start {argv[0]}: {exc.strerror}")
    try:
        out, err, why = _read_bounded(proc, time.monotonic() + timeout, max_bytes)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    if why == "deadline":
        name = os.path.basename(argv[0])
        return ToolOutput(None, out, err, f"{name} stopped: no end within {timeout:g}s")
    if why == "cap":
        return ToolOutput(None, out, err, f"output cut at {max_bytes} bytes")
    return ToolOutput(proc.returncode, out, err)


def _read_bounded(
    proc: subprocess.Popen[bytes], deadline: float, max_bytes: int
) -> tuple[bytes, str, str | None]:
    """Both pipes until end of file, and why it stopped early: "deadline", "cap" or None."""
    assert proc.stdout is not None and proc.stderr is not None
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ, out)
        selector.register(proc.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(out), _text(err), "deadline"
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, READ_CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if len(out) >= max_bytes:
                    return bytes(out[:max_bytes]), _text(err), "cap"
                del err[STDERR_CAP:]
    try:  # both pipes closed: it is exiting, or it closed them and lives on
        proc.wait(max(0.01, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return bytes(out), _text(err), "deadline"
    return bytes(out), _text(err), None


def _text(data: bytearray) -> str:
    return data.decode("utf-8", "replace").strip()[-STDERR_CAP:]
