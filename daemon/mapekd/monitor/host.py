"""`type: host`: CPU, memory, swap, load, disk I/O and network of the host; disk usage per mount.

Target `host`; fields: ok, error, memory_percent, memory_available_bytes, swap_percent, load1,
load5, load15, and the rates cpu_percent, disk_read_bytes_per_s, disk_write_bytes_per_s,
net_rx_bytes_per_s, net_tx_bytes_per_s, interval_s.

Rates are computed between two successive collections of the same check (its own counters, so
nothing else in the process can disturb them). The first collection has no previous counters: it
omits the rate fields and interval_s. A rate is also omitted when its counter went backwards (a
counter reset, e.g. a NIC removed) or when the host has no such counter (no block device).

Targets `disk:<mountpoint>`, one per mount (the configured ones, default every real partition);
fields: ok, error, used_percent, free_bytes, total_bytes. A mount that cannot be read yields an
error sample for its target only. Without configured mounts, the partitions are listed again
once a minute (LISTING_REFRESH_S), not every cycle.

Everything comes from psutil: cpu_times (busy = all but idle and iowait; guest time is already
part of user time), virtual_memory (percent from MemAvailable), swap_memory, disk_io_counters
(whole disks, not partitions) and net_io_counters (all interfaces), disk_partitions, disk_usage.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil

from mapekd.config.checks import CheckBase, HostCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]


LISTING_REFRESH_S = 60.0
"""How long a listing of the partitions, or of the block devices, is used (they change rarely;
listing them costs)."""


@dataclass(frozen=True, slots=True)
class _Counters:
    """Monotonic counters read at one instant; rates are differences between two of these."""

    at: float
    cpu_busy: float
    cpu_total: float
    counts: dict[str, int]


class HostCheck:
    def __init__(self, name: str, *, mounts: list[str] | None = None) -> None:
        self.name = name
        self.targets = ("host",)
        self._mounts = list(mounts) if mounts is not None else None
        self._previous: _Counters | None = None
        self._listed: tuple[float, list[str]] | None = None
        """(when, mounts) of the last listing of the partitions."""
        self._workers = DaemonWorkers(2, name="mapekd-host")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> HostCheck:
        cfg = require_config(config, HostCheckConfig)
        return cls(cfg.name, mounts=cfg.mounts)

    async def collect(self) -> list[Sample]:
        # statvfs: a hung network mount must block neither the event loop nor the daemon's exit.
        return await self._workers.run(self._collect_blocking)

    def _collect_blocking(self) -> list[Sample]:
        counters = _read_counters()
        load1, load5, load15 = os.getloadavg()
        memory = psutil.virtual_memory()
        host: Fields = {
            "ok": True,
            "error": None,
            "memory_percent": memory.percent,
            "memory_available_bytes": memory.available,
            "swap_percent": psutil.swap_memory().percent,
            "load1": load1,
            "load5": load5,
            "load15": load15,
        }
        if self._previous is not None:
            host.update(_rates(self._previous, counters))
        self._previous = counters
        samples = [Sample(self.name, "host", host)]
        samples.extend(self._disk_sample(mount) for mount in self._mount_points())
        return samples

    def _mount_points(self) -> list[str]:
        if self._mounts is not None:
            return self._mounts
        if self._listed is None or _expired(self._listed[0]):
            # all=False: real partitions only, no proc/sysfs/tmpfs; a mount seen twice counts once.
            mounts = list(dict.fromkeys(p.mountpoint for p in psutil.disk_partitions(all=False)))
            self._listed = (time.monotonic(), mounts)
        return self._listed[1]

    def _disk_sample(self, mount: str) -> Sample:
        target = f"disk:{mount}"
        try:
            usage = psutil.disk_usage(mount)
        except OSError as exc:
            return Sample.failed(self.name, target, f"{type(exc).__name__}: {exc.strerror}")
        fields: Fields = {
            "ok": True,
            "error": None,
            "used_percent": usage.percent,
            "free_bytes": usage.free,
            "total_bytes": usage.total,
        }
        return Sample(self.name, target, fields)


def _expired(listed_at: float) -> bool:
    return time.monotonic() - listed_at >= LISTING_REFRESH_S


def _read_counters() -> _Counters:
    cpu = psutil.cpu_times()
    # Guest time is already counted in user and nice; idle and iowait are not busy.
    total = sum(cpu) - cpu.guest - cpu.guest_nice
    counts: dict[str, int] = {}
    disk = psutil.disk_io_counters()
    if disk is not None:  # None on a host without block devices
        counts["disk_read_bytes_per_s"] = disk.read_bytes
        counts["disk_write_bytes_per_s"] = disk.write_bytes
    net = psutil.net_io_counters()
    counts["net_rx_bytes_per_s"] = net.bytes_recv
    counts["net_tx_bytes_per_s"] = net.bytes_sent
    return _Counters(time.monotonic(), total - cpu.idle - cpu.iowait, total, counts)


def _rates(before: _Counters, now: _Counters) -> Fields:
    interval = now.at - before.at
    if interval <= 0:
        return {}
    rates: Fields = {"interval_s": round(interval, 3)}
    cpu_total = now.cpu_total - before.cpu_total
    if cpu_total > 0:
        busy = max(0.0, now.cpu_busy - before.cpu_busy)
        rates["cpu_percent"] = round(min(100.0, 100.0 * busy / cpu_total), 1)
    for key, value in now.counts.items():
        previous = before.counts.get(key)
        if previous is not None and value >= previous:  # a counter that went back was reset
            rates[key] = round((value - previous) / interval, 1)
    return rates
