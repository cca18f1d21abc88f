"""DirectoryCheck on real directories the test builds."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mapekd.config.checks_monit import DirectoryCheckConfig
from mapekd.model import Sample
from mapekd.monitor.directory import DirectoryCheck


def directory(path: Path, **options: object) -> DirectoryCheck:
    return DirectoryCheck(DirectoryCheckConfig(name="spool", type="directory", path=str(path), **options))


async def collect_one(check: DirectoryCheck) -> Sample:
    [sample] = await check.collect()
    assert sample.target == "directory:spool"
    return sample


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """top/{a: 100 B, b: 200 B, link -> a big file outside, sub/{c: 300 B, deeper/{d: 400 B}}}."""
    top = tmp_path / "top"
    (top / "sub" / "deeper").mkdir(parents=True)
    (top / "a").write_bytes(b"a" * 100)
    (top / "b").write_bytes(b"b" * 200)
    (top / "sub" / "c").write_bytes(b"c" * 300)
    (top / "sub" / "deeper" / "d").write_bytes(b"d" * 400)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100_000)
    (top / "link").symlink_to(big)
    (top / "sub" / "loop").symlink_to(top)  # a symlink to a directory is never descended into
    return top


async def test_entries_and_size_of_the_top_level(tree: Path) -> None:
    sample = await collect_one(directory(tree))

    assert sample.ok and sample.error is None and sample.fields["exists"] is True
    assert sample.fields["entries"] == 4  # a, b, link, sub
    assert sample.fields["total_bytes"] == 300  # symlinks are not followed
    assert sample.fields["truncated"] is False and sample.fields["skipped"] is None


async def test_recursive_counts_subdirectories_without_following_symlinks(tree: Path) -> None:
    sample = await collect_one(directory(tree, recursive=True))

    assert sample.fields["entries"] == 8  # a, b, link, sub, sub/c, sub/loop, sub/deeper, sub/deeper/d
    assert sample.fields["total_bytes"] == 1000


async def test_the_scan_stops_at_max_entries(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i}").write_bytes(b"x")

    sample = await collect_one(directory(tmp_path, max_entries=20))

    assert sample.ok and sample.fields["truncated"] is True
    assert sample.fields["entries"] == 20 and sample.fields["total_bytes"] == 20


async def test_mtime_age(tmp_path: Path) -> None:
    an_hour_ago = time.time() - 3600
    os.utime(tmp_path, (an_hour_ago, an_hour_ago))

    sample = await collect_one(directory(tmp_path))

    assert 3600 <= sample.fields["mtime_age_s"] < 3600 + 60


async def test_a_missing_directory_is_the_finding(tmp_path: Path) -> None:
    sample = await collect_one(directory(tmp_path / "gone"))

    assert not sample.ok and sample.fields["exists"] is False and sample.error is None


async def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")

    sample = await collect_one(directory(tmp_path / "plain"))

    assert not sample.ok and sample.error == f"not a directory: {tmp_path / 'plain'}"
