"""FilesystemCheck on this host's partitions and on a tmpfs the test mounts (and remounts)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.model import Sample
from mapekd.monitor.filesystem import FilesystemCheck

FIELDS = {
    "ok",
    "error",
    "used_percent",
    "free_bytes",
    "total_bytes",
    "inodes_used_percent",
    "inodes_free",
    "inodes_total",
    "read_only",
    "flags",
    "flags_changed",
}


def mount(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("mount") or "/bin/mount"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs with 64 inodes, mounted for the test and unmounted after it."""
    point = tmp_path / "mnt"
    point.mkdir()
    done = mount("-t", "tmpfs", "-o", "size=1m,nr_inodes=64", "mapekd-test", str(point))
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs privileges this run lacks: {done.stderr.strip()}")
    yield point
    subprocess.run([shutil.which("umount") or "/bin/umount", str(point)], check=True, timeout=30)


async def collect_one(check: FilesystemCheck) -> Sample:
    [sample] = await check.collect()
    return sample


async def test_default_mounts_are_the_real_partitions() -> None:
    check = FilesystemCheck("fs")
    samples = await check.collect()

    assert samples, "this host has at least one real partition"
    for sample in samples:
        assert sample.target.startswith("filesystem:/")
        assert sample.ok and set(sample.fields) == FIELDS
        assert 0 <= sample.fields["used_percent"] <= 100
        assert sample.fields["flags_changed"] is False  # nothing to compare with yet
    assert check.targets == tuple(s.target for s in samples)


async def test_space_and_inodes_of_a_mount(tmpfs: Path) -> None:
    check = FilesystemCheck("fs", mounts=[str(tmpfs)])
    empty = await collect_one(check)
    for i in range(40):
        (tmpfs / f"f{i}").write_bytes(b"x" * 12_000)
    filled = await collect_one(check)

    assert empty.target == f"filesystem:{tmpfs}" and empty.ok
    assert empty.fields["inodes_total"] == 64 and empty.fields["total_bytes"] == 1024 * 1024
    assert filled.fields["inodes_free"] == empty.fields["inodes_free"] - 40
    assert filled.fields["inodes_used_percent"] >= 40 / 64 * 100
    assert filled.fields["used_percent"] >= 40 and filled.fields["free_bytes"] < empty.fields["free_bytes"]


async def test_a_read_only_remount_is_seen_once_as_a_change(tmpfs: Path) -> None:
    check = FilesystemCheck("fs", mounts=[str(tmpfs)])
    writable = await collect_one(check)
    assert mount("-o", "remount,ro", str(tmpfs)).returncode == 0
    remounted = await collect_one(check)
    still = await collect_one(check)

    assert writable.fields["read_only"] is False and "rw" in writable.fields["flags"].split(",")
    assert remounted.fields["read_only"] is True and "ro" in remounted.fields["flags"].split(",")
    assert remounted.fields["flags_changed"] is True
    assert still.fields["flags_changed"] is False and still.fields["read_only"] is True


async def test_a_mount_point_not_mounted_fails_alone(tmp_path: Path) -> None:
    check = FilesystemCheck("fs", mounts=["/", str(tmp_path)])

    root, unmounted = await check.collect()

    assert root.ok
    assert not unmounted.ok and unmounted.error == f"not mounted: {tmp_path}"
    assert unmounted.target == f"filesystem:{tmp_path}"
