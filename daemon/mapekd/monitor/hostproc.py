"""The host's counters and gauges read straight from /proc, with psutil's semantics.

Why not psutil's calls: for a collection they read /proc/meminfo twice, parse all of /proc/vmstat
for swap-in/out counts the host check does not report, and test /sys for every line of
/proc/diskstats. Here four small files are read once each: about 40 µs instead of 190 per cycle.
What is read and computed matches psutil: CPU times from the first line of /proc/stat (guest time
is part of user time), memory percent from MemAvailable, swap from SwapTotal and SwapFree, disk
bytes summed over the devices of /sys/block (512-byte sectors), network bytes over all interfaces.
"""

from __future__ import annotations

import os

from mapekd.model import FieldValue
from mapekd.monitor.procstat import read_whole

SECTOR_BYTES = 512
"""The kernel counts /proc/diskstats sectors in 512 bytes, whatever the device's sector size."""
_MEMINFO_KEYS = (b"MemTotal", b"MemAvailable", b"SwapTotal", b"SwapFree")


def block_devices() -> frozenset[str]:
    """The disks whose I/O counts: whole devices, not partitions (psutil's rule: /sys/block)."""
    try:
        return frozenset(name.replace("!", "/") for name in os.listdir("/sys/block"))
    except OSError:
        return frozenset()


def cpu_ticks() -> tuple[float, float]:
    """(busy, total) CPU time of all CPUs since boot, in clock ticks."""
    ticks = [int(value) for value in _read("/proc/stat").split(b"\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice (older kernels: fewer)
    total = sum(ticks) - sum(ticks[8:10])  # guest time is already counted in user and nice
    idle = sum(ticks[3:5])  # idle and iowait are not busy
    return float(total - idle), float(total)


def memory_gauges() -> dict[str, FieldValue]:
    """memory_percent and memory_available_bytes, swap_percent (0.0 without swap)."""
    found: dict[bytes, int] = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, value = line.partition(b":")
        if key in _MEMINFO_KEYS:
            found[key] = int(value.split()[0]) * 1024  # kB
    total, available = found.get(b"MemTotal", 0), found.get(b"MemAvailable")
    if available is None:  # a kernel older than 3.14: psutil estimates it
        import psutil

        available = psutil.virtual_memory().available
    swap_total = found.get(b"SwapTotal", 0)
    return {
        "memory_percent": _percent(total - available, total),
        "memory_available_bytes": available,
        "swap_percent": _percent(swap_total - found.get(b"SwapFree", 0), swap_total),
    }


def io_counts(devices: frozenset[str]) -> dict[str, int]:
    """Disk bytes read and written (omitted without a block device), network bytes received
    and sent, all since boot."""
    counts: dict[str, int] = {}
    read = written = 0
    seen = False
    for line in _read("/proc/diskstats").splitlines():
        fields = line.split()
        if len(fields) > 9 and fields[2].decode(errors="replace") in devices:
            read, written, seen = read + int(fields[5]), written + int(fields[9]), True
    if seen:
        counts["disk_read_bytes_per_s"] = read * SECTOR_BYTES
        counts["disk_write_bytes_per_s"] = written * SECTOR_BYTES
    received = sent = 0
    for line in _read("/proc/net/dev").splitlines()[2:]:  # two header lines
        fields = line.partition(b":")[2].split()
        received, sent = received + int(fields[0]), sent + int(fields[8])
    counts["net_rx_bytes_per_s"] = received
    counts["net_tx_bytes_per_s"] = sent
    return counts


def _read(path: str) -> bytes:
    data = read_whole(path)
    if data is None:
        raise OSError(f"cannot read {path}")
    return data


def _percent(used: int, total: int) -> float:
    return round(100.0 * used / total, 1) if total > 0 else 0.0
