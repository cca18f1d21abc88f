"""`type: directory`: does a directory exist, how old is its mtime, how many entries, how big.

Target `directory:<check name>`; fields: ok, error, exists, mtime_age_s, entries, total_bytes,
truncated, skipped.
- entries: the directory's entries (with `recursive`, those of its subdirectories too);
  total_bytes: the sizes of the regular files among them. Symlinks are counted, never followed.
- The scan stops after `max_entries` entries: truncated true, and entries and total_bytes are
  then lower bounds. A subdirectory that cannot be read is skipped (`skipped` names the last
  one; the sample stays ok).
- ok: the path exists and is a directory. Missing: ok false, exists false, no error (the missing
  directory is the finding); not a directory or unreadable: ok false with the error.
The scan runs in a worker thread (a slow disk blocks neither the event loop nor exit).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mapekd.config.checks_monit import DirectoryCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.path_stat import stat_or_finding
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp


@dataclass(slots=True)
class _Scan:
    entries: int = 0
    total_bytes: int = 0
    truncated: bool = False
    unreadable: str | None = None


class DirectoryCheck:
    def __init__(self, config: DirectoryCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"directory:{config.name}",)
        self._cfg = config
        self._workers = DaemonWorkers(1, name="mapekd-directory")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> DirectoryCheck:
        return cls(require_config(config, DirectoryCheckConfig))

    async def collect(self) -> list[Sample]:
        return [await self._workers.run(self._collect_blocking)]

    def _collect_blocking(self) -> Sample:
        target = self.targets[0]
        info = stat_or_finding(self.name, target, self._cfg.path, kind=stat.S_ISDIR, kind_name="directory")
        if isinstance(info, Sample):
            return info
        try:
            scan = self._scan()
        except OSError as exc:
            return Sample.failed(self.name, target, f"{type(exc).__name__}: {exc.strerror}")
        fields: dict[str, FieldValue] = {
            "ok": True,
            "error": None,
            "exists": True,
            "mtime_age_s": round(max(0.0, time.time() - info.st_mtime), 3),
            "entries": scan.entries,
            "total_bytes": scan.total_bytes,
            "truncated": scan.truncated,
            "skipped": scan.unreadable,
        }
        return Sample(self.name, target, fields)

    def _scan(self) -> _Scan:
        """At most max_entries entries; only the top directory must be readable."""
        scan = _Scan()
        pending = [self._cfg.path]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    for entry in listing:
                        if scan.entries >= self._cfg.max_entries:
                            scan.truncated = True
                            return scan
                        scan.entries += 1
                        self._account(entry, scan, pending)
            except OSError as exc:
                if directory == self._cfg.path:
                    raise
                scan.unreadable = f"skipped {directory}: {exc.strerror}"
        return scan

    def _account(self, entry: os.DirEntry[str], scan: _Scan, pending: list[str]) -> None:
        try:
            if entry.is_file(follow_symlinks=False):
                scan.total_bytes += entry.stat(follow_symlinks=False).st_size
            elif self._cfg.recursive and entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
        except OSError:  # removed while scanning: counted, without a size
            pass
