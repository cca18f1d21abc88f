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
