"""HostCheck on this host: gauges at once, rates from the second collection on."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from mapekd.model import Sample
from mapekd.monitor.host import HostCheck

GAUGES = {
    "ok",
    "error",
    "memory_percent",
    "memory_available_bytes",
    "swap_percent",
    "load1",
    "load5",
    "load15",
}
RATES = {
    "interval_s",
    "cpu_percent",
    "disk_read_bytes_per_s",
    "disk_write_bytes_per_s",
    "net_rx_bytes_per_s",
    "net_tx_bytes_per_s",
}
DISK = {"ok", "error", "used_percent", "free_bytes", "total_bytes"}


def by_target(samples: list[Sample]) -> dict[str, Sample]:
    return {sample.target: sample for sample in samples}


async def test_first_collection_has_gauges_and_no_rates() -> None:
    samples = by_target(await HostCheck("host").collect())

    host = samples["host"]
    assert host.ok and host.error is None
    assert set(host.fields) == GAUGES
    assert 0 <= host.fields["memory_percent"] <= 100
    assert host.fields["memory_available_bytes"] > 0


async def test_rates_appear_from_the_second_collection() -> None:
    check = HostCheck("host")
    await check.collect()
    deadline = time.monotonic() + 10
    while True:  # cpu time advances in clock ticks: collect until one has passed
        host = by_target(await check.collect())["host"]
        if "cpu_percent" in host.fields or time.monotonic() > deadline:
            break

    assert {"interval_s", "cpu_percent"} <= set(host.fields) <= GAUGES | RATES
    assert 0 <= host.fields["cpu_percent"] <= 100
    for rate in set(host.fields) & RATES:
        assert host.fields[rate] >= 0
    if psutil.disk_io_counters() is not None:
        assert {"disk_read_bytes_per_s", "disk_write_bytes_per_s"} <= set(host.fields)
    if psutil.net_io_counters() is not None:
        assert {"net_rx_bytes_per_s", "net_tx_bytes_per_s"} <= set(host.fields)


async def test_default_mounts_are_the_real_partitions() -> None:
    disks = [s for s in await HostCheck("host").collect() if s.target.startswith("disk:")]

    assert disks, "this host has at least one real partition"
    for disk in disks:
        assert disk.ok and set(disk.fields) == DISK
        assert 0 <= disk.fields["used_percent"] <= 100
        assert disk.fields["total_bytes"] >= disk.fields["free_bytes"]


async def test_configured_mounts_only_and_an_unreadable_one_fails_alone(tmp_path: Path) -> None:
    missing = str(tmp_path / "not-mounted")

    samples = by_target(await HostCheck("host", mounts=["/", missing]).collect())

    assert set(samples) == {"host", "disk:/", f"disk:{missing}"}
    assert samples["disk:/"].ok
    assert not samples[f"disk:{missing}"].ok
    assert "FileNotFoundError" in (samples[f"disk:{missing}"].error or "")


async def test_gauges_agree_with_psutil_read_around_the_collection() -> None:
    before_memory, before_swap = psutil.virtual_memory(), psutil.swap_memory()
    host = by_target(await HostCheck("host").collect())["host"]
    after_memory, after_swap = psutil.virtual_memory(), psutil.swap_memory()

    low, high = sorted((before_memory.percent, after_memory.percent))
    assert low - 1.0 <= host.fields["memory_percent"] <= high + 1.0
    low_bytes, high_bytes = sorted((before_memory.available, after_memory.available))
    assert low_bytes - 2**26 <= host.fields["memory_available_bytes"] <= high_bytes + 2**26
    low, high = sorted((before_swap.percent, after_swap.percent))
    assert low - 1.0 <= host.fields["swap_percent"] <= high + 1.0


def _between(rate: float, interval: float, least: int, most: int) -> bool:
    """rate * interval lies in [least, most], give or take the rounding of rate and interval."""
    slack = 1 + interval * 0.05 + rate * 0.0005
    return least - slack <= rate * interval <= most + slack


async def test_rates_are_the_counters_of_psutil_between_two_collections() -> None:
    check = HostCheck("host")
    net_first, disk_first = psutil.net_io_counters(), psutil.disk_io_counters()
    await check.collect()
    net_after_first, disk_after_first = psutil.net_io_counters(), psutil.disk_io_counters()
    time.sleep(0.2)
    net_second, disk_second = psutil.net_io_counters(), psutil.disk_io_counters()
    host = by_target(await check.collect())["host"]
    net_last, disk_last = psutil.net_io_counters(), psutil.disk_io_counters()

    interval = host.fields["interval_s"]
    assert 0.2 <= interval < 30
    rx, tx = host.fields["net_rx_bytes_per_s"], host.fields["net_tx_bytes_per_s"]
    assert _between(
        rx,
        interval,
        net_second.bytes_recv - net_after_first.bytes_recv,
        net_last.bytes_recv - net_first.bytes_recv,
    )
    assert _between(
        tx,
        interval,
        net_second.bytes_sent - net_after_first.bytes_sent,
        net_last.bytes_sent - net_first.bytes_sent,
    )
    if (
        disk_first is not None
        and disk_last is not None
        and disk_second is not None
        and disk_after_first is not None
    ):
        read, written = host.fields["disk_read_bytes_per_s"], host.fields["disk_write_bytes_per_s"]
        assert _between(
            read,
            interval,
            disk_second.read_bytes - disk_after_first.read_bytes,
            disk_last.read_bytes - disk_first.read_bytes,
        )
        assert _between(
            written,
            interval,
            disk_second.write_bytes - disk_after_first.write_bytes,
            disk_last.write_bytes - disk_first.write_bytes,
        )
