"""`type: file`: a file's existence, size, age, checksum and permissions, and its new lines.

Target `file:<check name>`; fields: ok, error, exists, size_bytes, mtime_age_s, mode (octal text,
e.g. "0640"), uid, gid, and as configured sha256 and checksum_changed (`checksum`), and
content_matches and content_last_match (`content_regex`).
- sha256: of the whole content, read in the worker thread; a file larger than
  max_checksum_bytes is not hashed (error says so, ok false). checksum_changed: differs from the
  previous collection's (false on the first one).
- content_regex (log watching, Monit's `if content = "..."`): matched against each line
  appended since the previous collection, read through mapekd.tailing.Follower, which follows
  the file across rotation (the rest of the old file first) and truncation, and reads at most
  max_read_bytes per collection (what is left is read at the next one).
  content_matches counts the matching lines, content_last_match is the last one (cut at
  MATCH_FIELD_CHARS characters). Lines already there at the first collection are not matched.
- ok: the file exists, is a regular file, could be hashed if asked, and no new line matched.
  A missing file: ok false, exists false, no error (its absence is the finding).
Everything runs in a worker thread: a slow disk blocks neither the event loop nor exit.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from typing import TYPE_CHECKING

from mapekd.config.checks_monit import FileCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.path_stat import stat_or_finding
from mapekd.monitor.workers import DaemonWorkers
from mapekd.tailing import Follower, open_regular

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]
_HASH_CHUNK = 1024 * 1024
MATCH_FIELD_CHARS = 256


class FileCheck:
    def __init__(self, config: FileCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"file:{config.name}",)
        self._cfg = config
        self._digest: str | None = None
        self._watch: tuple[re.Pattern[str], Follower] | None = None
        if config.content_regex:
            follower = Follower(config.path, max_bytes=config.max_read_bytes)
            self._watch = (re.compile(config.content_regex), follower)
        self._workers = DaemonWorkers(1, name="mapekd-file")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> FileCheck:
        return cls(require_config(config, FileCheckConfig))

    def close(self) -> None:
        """Let go of the followed file (the check is being discarded, at a reload or the end)."""
        if self._watch is not None:
            self._watch[1].close()

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
        if self._watch is not None:
            fields |= self._new_matches(*self._watch)
        fields["ok"] = fields["error"] is None and not fields.get("content_matches")
        return Sample(self.name, target, fields)

    def _checksum(self, size: int) -> Fields:
        limit = self._cfg.max_checksum_bytes
        if size > limit:
            return {"sha256": None, "error": f"larger than max_checksum_bytes ({limit}): not hashed"}
        digest = hashlib.sha256()
        read = 0
        fd = open_regular(self._cfg.path)  # replaced by a FIFO since the stat: refused, not waited on
        try:
            while chunk := os.read(fd, min(_HASH_CHUNK, limit + 1 - read)):
                read += len(chunk)
                if read > limit:  # it grew while being read
                    return {"sha256": None, "error": f"grew past max_checksum_bytes ({limit}): not hashed"}
                digest.update(chunk)
        finally:
            os.close(fd)
        previous, self._digest = self._digest, digest.hexdigest()
        return {"sha256": self._digest, "checksum_changed": previous not in (None, self._digest)}

    def _new_matches(self, pattern: re.Pattern[str], follower: Follower) -> Fields:
        try:
            lines = follower.read_new()  # the first call only finds where the file ends
        except OSError as exc:  # replaced by something else than a regular file meanwhile
            return {"error": f"{type(exc).__name__}: {exc.strerror or exc}"}
        matches = [line for line in lines if pattern.search(line)]
        last = matches[-1][:MATCH_FIELD_CHARS] if matches else None
        return {"content_matches": len(matches), "content_last_match": last}


def attributes(info: os.stat_result) -> Fields:
    return {
        "size_bytes": info.st_size,
        "mtime_age_s": round(max(0.0, time.time() - info.st_mtime), 3),
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "uid": info.st_uid,
        "gid": info.st_gid,
    }
