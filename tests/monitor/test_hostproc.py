"""The host's own /proc readings agree with psutil's, read around them on this very host."""

from __future__ import annotations

import os

import psutil

from mapekd.monitor.hostproc import block_devices, cpu_ticks, io_counts, memory_gauges

TICKS = os.sysconf("SC_CLK_TCK")


def _psutil_cpu_ticks() -> tuple[float, float]:
    cpu = psutil.cpu_times()
    total = sum(cpu) - getattr(cpu, "guest", 0.0) - getattr(cpu, "guest_nice", 0.0)
    idle = cpu.idle + getattr(cpu, "iowait", 0.0)
    return (total - idle) * TICKS, total * TICKS


def test_cpu_ticks_are_psutils_cpu_times_in_ticks() -> None:
    before = _psutil_cpu_ticks()
    busy, total = cpu_ticks()
    after = _psutil_cpu_ticks()

    assert before[1] - 1 <= total <= after[1] + 1
    assert before[0] - 1 <= busy <= after[0] + 1


def test_memory_and_swap_are_psutils() -> None:
    memory, swap = psutil.virtual_memory(), psutil.swap_memory()
    gauges = memory_gauges()

    assert abs(float(gauges["memory_percent"] or 0) - memory.percent) <= 1.0
    assert abs(int(gauges["memory_available_bytes"] or 0) - memory.available) <= 64 * 2**20
    assert abs(float(gauges["swap_percent"] or 0) - swap.percent) <= 1.0


def test_disk_and_network_bytes_are_psutils_counters() -> None:
    disk_before, net_before = psutil.disk_io_counters(), psutil.net_io_counters()
    counts = io_counts(block_devices())
    disk_after, net_after = psutil.disk_io_counters(), psutil.net_io_counters()

    assert net_before.bytes_recv <= counts["net_rx_bytes_per_s"] <= net_after.bytes_recv
    assert net_before.bytes_sent <= counts["net_tx_bytes_per_s"] <= net_after.bytes_sent
    if disk_before is None or disk_after is None:
        assert "disk_read_bytes_per_s" not in counts
    else:
        assert disk_before.read_bytes <= counts["disk_read_bytes_per_s"] <= disk_after.read_bytes
        assert disk_before.write_bytes <= counts["disk_write_bytes_per_s"] <= disk_after.write_bytes


def test_without_block_devices_disk_bytes_are_omitted() -> None:
    counts = io_counts(frozenset())

    assert set(counts) == {"net_rx_bytes_per_s", "net_tx_bytes_per_s"}
