"""A memory cgroup of the test's own, so that the OOM killer can be made to kill a child of ours.

cgroup v2 where its memory controller is delegated at the root (memory.max, memory.swap.max=0);
else the v1 memory hierarchy, under the test process's own memory cgroup (memory.limit_in_bytes,
memory.memsw.limit_in_bytes where swap accounting exists). Either needs root.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

V2_ROOT = Path("/sys/fs/cgroup")
V1_MEMORY = Path("/sys/fs/cgroup/memory")


def _v1_own_path() -> str | None:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path
    return None


def _create(name: str, limit: int) -> tuple[Path, list[str]]:
    """The new cgroup's directory and why the other kind could not be used."""
    errors: list[str] = []
    try:
        if "memory" not in (V2_ROOT / "cgroup.subtree_control").read_text().split():
            raise OSError("the memory controller is not enabled at the cgroup v2 root")
        group = V2_ROOT / name
        group.mkdir()
        (group / "memory.max").write_text(str(limit))
        with contextlib.suppress(FileNotFoundError):
            (group / "memory.swap.max").write_text("0")
        return group, errors
    except OSError as exc:
        errors.append(f"cgroup v2: {exc}")
    own = _v1_own_path()
    try:
        if own is None:
            raise OSError("no v1 memory hierarchy")
        group = V1_MEMORY / own.lstrip("/") / name
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(limit))
        with contextlib.suppress(FileNotFoundError):
            (group / "memory.memsw.limit_in_bytes").write_text(str(limit))
        return group, errors
    except OSError as exc:
        errors.append(f"cgroup v1: {exc}")
        raise OSError("; ".join(errors)) from exc


@contextlib.contextmanager
def memory_cgroup(limit: int) -> Iterator[Path]:
    """A memory cgroup limited to `limit` bytes without swap; removed afterwards (its processes
    must have ended by then)."""
    try:
        group, _ = _create(f"mapekd-test-{os.getpid()}-{time.monotonic_ns()}", limit)
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no memory cgroup can be created here: {exc}")
        pytest.skip(f"no memory cgroup can be created here (needs root and a memory controller): {exc}")
    try:
        yield group
    finally:
        for _ in range(100):  # the killed process leaves the group moments after it is reaped
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def move_into(group: Path, pid: int) -> None:
    (group / "cgroup.procs").write_text(str(pid))
