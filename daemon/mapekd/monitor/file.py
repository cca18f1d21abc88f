"""`type: file`: a file's existence, size, age, checksum and permissions.

Target `file:<check name>`; fields: ok, error, exists, size_bytes, mtime_age_s, mode (octal text,
e.g. "0640"), uid, gid, and with `checksum` sha256 and checksum_changed.
- sha256: of the whole content, read in the worker thread; a file larger than
  max_checksum_bytes is not hashed (error says so, ok false). checksum_changed: differs from the
  previous collection's (false on the first one).
- ok: the file exists, is a regular file, and could be hashed if asked.
  A missing file: ok false, exists false, no error (its absence is the finding).
Everything runs in a worker thread: a slow disk blocks neither the event loop nor exit.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from typing import TYPE_CHECKING

from mapekd.config.checks_monit import FileCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.path_stat import stat_or_finding
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]
_HASH_CHUNK = 1024 * 1024


class FileCheck:
    def __init__(self, config: FileCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"file:{config.name}",)
        self._cfg = config
        self._digest: str | None = None
        self._workers = DaemonWorkers(1, name="mapekd-file")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> FileCheck:
        return cls(require_config(config, FileCheckConfig))

    async def collect(self) -> list[Sample]:
        return [await self._workers.run(self._collect_blocking)]

    def _collect_blocking(self) -> Sample:
        target = self.targets[0]
        info = stat_or_finding(self.name, target, self._cfg.path, kind=stat.S_ISREG, kind_name="regular file")
        if isinstance(info, Sample):
            return info
        fields: Fields = {"ok": True, "error": None, "exists": True, **attributes(info)}
        try:
            if self._cfg.checksum:
                fields |= self._checksum(info.st_size)
        except OSError as exc:
            fields["error"] = f"{type(exc).__name__}: {exc.strerror}"
        fields["ok"] = fields["error"] is None
        return Sample(self.name, target, fields)

    def _checksum(self, size: int) -> Fields:
        limit = self._cfg.max_checksum_bytes
        if size > limit:
            return {"sha256": None, "error": f"larger than max_checksum_bytes ({limit}): not hashed"}
        digest = hashlib.sha256()
        read = 0
        with open(self._cfg.path, "rb") as file:
            while chunk := file.read(min(_HASH_CHUNK, limit + 1 - read)):
                read += len(chunk)
                if read > limit:  # it grew while being read
                    return {"sha256": None, "error": f"grew past max_checksum_bytes ({limit}): not hashed"}
                digest.update(chunk)
        previous, self._digest = self._digest, digest.hexdigest()
        return {"sha256": self._digest, "checksum_changed": previous not in (None, self._digest)}


def attributes(info: os.stat_result) -> Fields:
    return {
        "size_bytes": info.st_size,
        "mtime_age_s": round(max(0.0, time.time() - info.st_mtime), 3),
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "uid": info.st_uid,
        "gid": info.st_gid,
    }
