"""`type: filesystem`: space and inodes of mounted filesystems, read-only remounts, changed flags.

Targets `filesystem:<mountpoint>`, one per mount (the configured ones, default every real
partition); fields: ok, error, used_percent, free_bytes, total_bytes, inodes_used_percent,
inodes_free, inodes_total, read_only, flags, flags_changed.
- Space as `df` shows it (used_percent of what non-root users can use, like psutil.disk_usage);
  inodes from statvfs (inodes_used_percent null on filesystems without a fixed inode table,
  e.g. btrfs, which report 0 inodes).
- read_only: the kernel's ST_RDONLY for the mount. flags: its mount options, sorted and joined by
  commas (from /proc/self/mounts through psutil); flags_changed: they differ from the previous
  collection of this check (false on the first one). A remount read-only after I/O errors shows
  as read_only true and flags_changed true.
- ok: the mount was measured and is mounted; a mount point that is not mounted (any more) gives
  ok false with the error, and so does one statvfs cannot read, for its target only.
statvfs runs in a worker thread: a hung network mount blocks neither the event loop nor exit.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import psutil

from mapekd.config.checks_monit import FilesystemCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]
LISTING_REFRESH_S = 60.0
"""How long the list of real partitions (without configured mounts) is used before it is read again."""


class FilesystemCheck:
    def __init__(self, name: str, *, mounts: list[str] | None = None) -> None:
        self.name = name
        self._mounts = list(mounts) if mounts is not None else None
        self._listed: tuple[float, list[str]] | None = None
        self._flags: dict[str, str] = {}
        """Mount point -> its flags at the previous collection."""
        self._workers = DaemonWorkers(2, name="mapekd-filesystem")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> FilesystemCheck:
        cfg = require_config(config, FilesystemCheckConfig)
        return cls(cfg.name, mounts=cfg.mounts)

    @property
    def targets(self) -> tuple[str, ...]:
        mounts = self._mounts if self._mounts is not None else self._listed[1] if self._listed else []
        return tuple(f"filesystem:{mount}" for mount in mounts) or (f"check:{self.name}",)

    async def collect(self) -> list[Sample]:
        return await self._workers.run(self._collect_blocking)

    def _collect_blocking(self) -> list[Sample]:
        options = {p.mountpoint: p.opts for p in psutil.disk_partitions(all=True)}
        return [self._sample(mount, options.get(mount)) for mount in self._mount_points()]

    def _mount_points(self) -> list[str]:
        if self._mounts is not None:
            return self._mounts
        if self._listed is None or time.monotonic() - self._listed[0] >= LISTING_REFRESH_S:
            mounts = list(dict.fromkeys(p.mountpoint for p in psutil.disk_partitions(all=False)))
            self._listed = (time.monotonic(), mounts)
        return self._listed[1]

    def _sample(self, mount: str, options: str | None) -> Sample:
        target = f"filesystem:{mount}"
        if options is None:
            self._flags.pop(mount, None)
            return Sample.failed(self.name, target, f"not mounted: {mount}")
        try:
            stat = os.statvfs(mount)
        except OSError as exc:
            return Sample.failed(self.name, target, f"{type(exc).__name__}: {exc.strerror}")
        flags = ",".join(sorted(options.split(",")))
        previous = self._flags.get(mount)
        self._flags[mount] = flags
        fields: Fields = {"ok": True, "error": None, **_space(stat)}
        fields["read_only"] = bool(stat.f_flag & os.ST_RDONLY)
        fields["flags"] = flags
        fields["flags_changed"] = previous is not None and previous != flags
        return Sample(self.name, target, fields)


def _space(stat: os.statvfs_result) -> Fields:
    """Space as psutil.disk_usage and df compute it; inodes as `df -i`."""
    total = stat.f_blocks * stat.f_frsize
    free = stat.f_bavail * stat.f_frsize
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    usable = used + free
    inodes_used = stat.f_files - stat.f_ffree
    return {
        "used_percent": round(100.0 * used / usable, 1) if usable else 0.0,
        "free_bytes": free,
        "total_bytes": total,
        "inodes_used_percent": round(100.0 * inodes_used / stat.f_files, 1) if stat.f_files else None,
        "inodes_free": stat.f_favail,
        "inodes_total": stat.f_files,
    }
