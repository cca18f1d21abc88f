"""`type: fifo`: a named pipe (Monit's `check fifo`): exists, is a FIFO, age of its mtime (the
last write into it), permissions.

Target `fifo:<check name>`; fields: ok, error, exists, mtime_age_s, mode (octal text), uid, gid.
The pipe is never opened (opening a FIFO blocks until a writer comes, and reading would take
data from its real reader): everything comes from stat. ok: it exists and is a FIFO. A missing
one: ok false, exists false, no error; a path of another kind: ok false with the error.
"""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

from mapekd.config.checks_monit import FifoCheckConfig
from mapekd.model import Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.file import attributes
from mapekd.monitor.path_stat import stat_or_finding
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp


class FifoCheck:
    def __init__(self, config: FifoCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"fifo:{config.name}",)
        self._path = config.path
        self._workers = DaemonWorkers(1, name="mapekd-fifo")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> FifoCheck:
        return cls(require_config(config, FifoCheckConfig))

    async def collect(self) -> list[Sample]:
        return [await self._workers.run(self._collect_blocking)]

    def _collect_blocking(self) -> Sample:
        info = stat_or_finding(self.name, self.targets[0], self._path, kind=stat.S_ISFIFO, kind_name="FIFO")
        if isinstance(info, Sample):
            return info
        fields = {"ok": True, "error": None, "exists": True, **attributes(info)}
        del fields["size_bytes"]  # a pipe has no size of its own
        return Sample(self.name, self.targets[0], fields)
