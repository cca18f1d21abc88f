"""`type: network`: link state, error and drop rates, and throughput of network interfaces.

Targets `network:<interface>`; fields: ok, error, exists, operstate, link_up, and the rates
rx_bytes_per_s, tx_bytes_per_s, rx_packets_per_s, tx_packets_per_s, rx_errors_per_s,
tx_errors_per_s, rx_drops_per_s, tx_drops_per_s, interval_s.
- operstate: /sys/class/net/<if>/operstate as the kernel writes it (up, down, lowerlayerdown,
  dormant, unknown...). link_up: the carrier is present (/sys/class/net/<if>/carrier is 1; the
  kernel refuses to tell on an interface that is administratively down: link_up false).
  Loopback's operstate is `unknown`, its carrier 1.
- Rates are per second between two successive collections of this check (psutil's per-NIC
  counters); the first collection, and a counter that went backwards (the interface was
  recreated), omit them.
- ok: the interface exists and its link is up. An interface that does not exist: ok false,
  exists false, no error (its absence is the finding).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import psutil

from mapekd.config.checks_monit import NetworkCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.workers import DaemonWorkers

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]
SYS_NET = "/sys/class/net"
_SYSFS_READ = 64
"""Bytes read from a sysfs attribute (operstate and carrier are a word)."""
_COUNTERS = {
    "rx_bytes_per_s": "bytes_recv",
    "tx_bytes_per_s": "bytes_sent",
    "rx_packets_per_s": "packets_recv",
    "tx_packets_per_s": "packets_sent",
    "rx_errors_per_s": "errin",
    "tx_errors_per_s": "errout",
    "rx_drops_per_s": "dropin",
    "tx_drops_per_s": "dropout",
}
"""Rate field -> the psutil counter it is computed from."""


class NetworkCheck:
    def __init__(self, name: str, interfaces: list[str], *, sys_net: str = SYS_NET) -> None:
        self.name = name
        self.targets = tuple(f"network:{interface}" for interface in interfaces)
        self._interfaces = list(interfaces)
        self._sys_net = sys_net
        self._previous: tuple[float, dict[str, dict[str, int]]] | None = None
        self._workers = DaemonWorkers(1, name="mapekd-network")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> NetworkCheck:
        cfg = require_config(config, NetworkCheckConfig)
        return cls(cfg.name, cfg.interfaces)

    async def collect(self) -> list[Sample]:
        return await self._workers.run(self._collect_blocking)

    def _collect_blocking(self) -> list[Sample]:
        now = time.monotonic()
        counters = {
            nic: {rate: getattr(io, counter) for rate, counter in _COUNTERS.items()}
            for nic, io in psutil.net_io_counters(pernic=True).items()
            if nic in self._interfaces
        }
        previous, self._previous = self._previous, (now, counters)
        return [self._sample(nic, counters.get(nic), previous, now) for nic in self._interfaces]

    def _sample(
        self,
        nic: str,
        counts: dict[str, int] | None,
        previous: tuple[float, dict[str, dict[str, int]]] | None,
        now: float,
    ) -> Sample:
        target = f"network:{nic}"
        operstate = self._read(nic, "operstate")
        if operstate is None and counts is None:
            return Sample(self.name, target, {"ok": False, "error": None, "exists": False})
        link_up = self._read(nic, "carrier") == "1"
        fields: Fields = {"ok": link_up, "error": None, "exists": True}
        fields |= {"operstate": operstate, "link_up": link_up}
        if previous is not None and counts is not None and nic in previous[1]:
            fields |= _rates(previous[1][nic], counts, now - previous[0])
        return Sample(self.name, target, fields)

    def _read(self, nic: str, attribute: str) -> str | None:
        """A sysfs attribute of `nic`, stripped; None when it cannot be read."""
        try:
            fd = os.open(os.path.join(self._sys_net, nic, attribute), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            return os.read(fd, _SYSFS_READ).decode("ascii", "replace").strip()
        except OSError:  # EINVAL: carrier of an interface that is down
            return None
        finally:
            os.close(fd)


def _rates(before: dict[str, int], now: dict[str, int], interval: float) -> Fields:
    if interval <= 0 or any(now[key] < before[key] for key in now):
        return {}  # a counter went back: the interface was recreated, rates start over
    rates: Fields = {key: round((now[key] - before[key]) / interval, 1) for key in now}
    rates["interval_s"] = round(interval, 3)
    return rates
