"""A memory cgroup of the evaluation's own, under the cgroup it runs in, so that the kernel's OOM
killer (not the evaluation) ends a service that outgrows it. cgroup v2 (`memory.max`) where the
memory controller is delegated, else the v1 memory hierarchy (`memory.limit_in_bytes`)."""

from __future__ import annotations

import contextlib
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class CgroupUnavailable(OSError):
    """No memory cgroup can be made here (not permitted, or no memory controller)."""


def own_path(controller: str, cgroup_file: Path = Path("/proc/self/cgroup")) -> str | None:
    """This process's cgroup path in the hierarchy of `controller` ("" for the v2 one)."""
    for line in cgroup_file.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def create(name: str, limit_bytes: int) -> str:
    """A new cgroup limited to `limit_bytes` of memory, without swap where the kernel tells;
    returns its directory (processes join it by writing their pid to its cgroup.procs)."""
    try:
        return _create(name, limit_bytes)
    except OSError as exc:
        raise CgroupUnavailable(f"cannot make a memory cgroup: {exc}") from exc


def _create(name: str, limit_bytes: int) -> str:
    v2_controllers = ROOT / "cgroup.controllers"
    if v2_controllers.exists() and "memory" in v2_controllers.read_text().split():
        where = ROOT / (own_path("") or "/").lstrip("/") / name
        limit, swap, swap_value = "memory.max", "memory.swap.max", 0
    else:
        path = own_path("memory")
        if path is None:
            raise CgroupUnavailable("no memory controller")
        where = ROOT / "memory" / path.lstrip("/") / name
        limit, swap, swap_value = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", limit_bytes
    where.mkdir()
    try:
        # The limit must hold (else the service would grow unbounded); the swap cap where it exists.
        (where / limit).write_text(f"{limit_bytes}\n")
    except OSError:
        remove(str(where))
        raise
    if (where / swap).exists():
        (where / swap).write_text(f"{swap_value}\n")
    return str(where)


def remove(directory: str) -> None:
    """Remove a cgroup made by `create` once its processes are gone (best effort)."""
    with contextlib.suppress(OSError):
        Path(directory).rmdir()
