"""FileCheck on real files the test writes: attributes, checksum, and log watching."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from mapekd.config.checks_monit import FileCheckConfig
from mapekd.config.settings import Settings
from mapekd.evidence.log import LogGatherer
from mapekd.evidence.registry import gatherers_for
from mapekd.model import Sample
from mapekd.monitor.file import MATCH_FIELD_CHARS, FileCheck


def file_check(path: Path, **options: object) -> FileCheck:
    return FileCheck(FileCheckConfig(name="conf", type="file", path=str(path), **options))


async def collect_one(check: FileCheck) -> Sample:
    [sample] = await check.collect()
    assert sample.target == "file:conf"
    return sample


async def test_size_age_mode_and_owner(tmp_path: Path) -> None:
    path = tmp_path / "app.conf"
    path.write_bytes(b"x" * 1234)
    path.chmod(0o640)
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))

    sample = await collect_one(file_check(path))

    assert sample.ok and sample.error is None and sample.fields["exists"] is True
    assert sample.fields["size_bytes"] == 1234 and sample.fields["mode"] == "0640"
    assert sample.fields["uid"] == os.getuid() and sample.fields["gid"] == os.getgid()
    assert 3600 <= sample.fields["mtime_age_s"] < 3660
    assert "sha256" not in sample.fields


async def test_the_checksum_and_its_change(tmp_path: Path) -> None:
    path = tmp_path / "app.conf"
    path.write_bytes(b"listen 80\n")
    check = file_check(path, checksum=True)

    first = await collect_one(check)
    same = await collect_one(check)
    path.write_bytes(b"listen 8080\n")
    changed = await collect_one(check)

    assert first.fields["sha256"] == hashlib.sha256(b"listen 80\n").hexdigest()
    assert first.fields["checksum_changed"] is False and same.fields["checksum_changed"] is False
    assert changed.fields["sha256"] == hashlib.sha256(b"listen 8080\n").hexdigest()
    assert changed.fields["checksum_changed"] is True and changed.ok


async def test_a_file_over_the_checksum_cap_is_not_hashed(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 2000)

    sample = await collect_one(file_check(path, checksum=True, max_checksum_bytes=1000))

    assert not sample.ok and sample.fields["sha256"] is None
    assert sample.error == "larger than max_checksum_bytes (1000): not hashed"
    assert sample.fields["size_bytes"] == 2000  # the rest is still reported


async def test_a_missing_file_is_the_finding(tmp_path: Path) -> None:
    sample = await collect_one(file_check(tmp_path / "gone.conf"))

    assert not sample.ok and sample.fields["exists"] is False and sample.error is None


async def test_a_directory_is_not_a_regular_file(tmp_path: Path) -> None:
    sample = await collect_one(file_check(tmp_path))

    assert not sample.ok and sample.error == f"not a regular file: {tmp_path}"


def append(path: Path, text: str) -> None:
    with path.open("a") as log:
        log.write(text)


async def test_log_watching_matches_only_the_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("ERROR an old error, before the check started\n")
    check = file_check(log, content_regex=r"ERROR|FATAL")

    first = await collect_one(check)
    append(log, "INFO request served\nERROR db connection refused\nFATAL out of memory\n")
    matched = await collect_one(check)
    quiet = await collect_one(check)

    assert first.ok and first.fields["content_matches"] == 0
    assert not matched.ok and matched.fields["content_matches"] == 2
    assert matched.fields["content_last_match"] == "FATAL out of memory"
    assert quiet.ok and quiet.fields["content_matches"] == 0  # each line is matched once


async def test_log_watching_follows_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("starting\n")
    check = file_check(log, content_regex="ERROR")
    await collect_one(check)

    log.rename(tmp_path / "app.log.1")  # rotated: a new file under the old name
    log.write_text("ERROR after rotation\n" + "padding line\n" * 100)
    rotated = await collect_one(check)
    log.write_text("ERROR after truncation\n")  # truncated (copytruncate), then written again
    truncated = await collect_one(check)

    assert rotated.fields["content_matches"] == 1
    assert rotated.fields["content_last_match"] == "ERROR after rotation"
    assert truncated.fields["content_matches"] == 1
    assert truncated.fields["content_last_match"] == "ERROR after truncation"


async def test_log_watching_reads_at_most_max_read_bytes(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    check = file_check(log, content_regex="ERROR", max_read_bytes=4096)
    await collect_one(check)
    append(log, "".join(f"ERROR {i:05d}\n" for i in range(10_000)))  # 12 bytes a line

    sample = await collect_one(check)
    rest = await collect_one(check)

    assert 0 < sample.fields["content_matches"] <= 4096 // 12
    assert sample.fields["size_bytes"] == 120_000
    assert rest.fields["content_last_match"] > sample.fields["content_last_match"]  # read on from there


async def test_a_long_matching_line_is_cut_in_the_sample(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    check = file_check(log, content_regex="ERROR")
    await collect_one(check)
    append(log, "ERROR " + "y" * 5000 + "\n")

    sample = await collect_one(check)

    assert len(str(sample.fields["content_last_match"])) == MATCH_FIELD_CHARS


def test_the_watched_log_is_the_evidence_of_its_incidents(tmp_path: Path) -> None:
    log, conf = str(tmp_path / "app.log"), str(tmp_path / "app.conf")
    settings = Settings.model_validate(
        {
            "checks": [
                {"name": "app_log", "type": "file", "path": log, "content_regex": "ERROR"},
                {"name": "app_conf", "type": "file", "path": conf, "checksum": True},
            ]
        }
    )

    found = gatherers_for(settings)

    [watched] = found["app_log"]
    assert isinstance(watched, LogGatherer) and watched.patterns == [log]
    assert found["app_conf"] == []  # a configuration file's content is not a log
