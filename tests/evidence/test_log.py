"""The log-file gatherer on real files: globs, newest first, the incident window, the bounds."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.log import MAX_FILES, LogGatherer
from mapekd.evidence.logtime import line_time


def request(since: float, *, max_items: int = 100, max_bytes: int = 65_536) -> EvidenceRequest:
    return EvidenceRequest(1, "web", "process:web", time.time(), since, 5.0, max_items, max_bytes)


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S,123")


def test_lines_since_the_window_where_timestamps_tell(tmp_path: Path) -> None:
    now = time.time()
    log = tmp_path / "app.log"
    log.write_text(
        f"{stamp(now - 3600)} INFO started\n"
        f"{stamp(now - 60)} ERROR database unreachable\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3\n'
        f"{stamp(now - 10)} WARNING retrying\n"
    )
    items = LogGatherer([str(log)]).gather(request(now - 120))
    assert [item.text for item in items] == [
        f"{stamp(now - 60)} ERROR database unreachable",
        "Traceback (most recent call last):",
        '  File "app.py", line 3',
        f"{stamp(now - 10)} WARNING retrying",
    ]
    assert {item.kind for item in items} == {"log"} and {item.source for item in items} == {str(log)}
    assert items[0].at is not None and abs(items[0].at - (now - 60)) < 1
    assert items[1].at is None


def test_lines_without_timestamps_give_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "plain.log"
    log.write_text("".join(f"plain {i}\n" for i in range(500)))
    items = LogGatherer([str(log)]).gather(request(time.time() - 120, max_items=3))
    assert [item.text for item in items] == ["plain 497", "plain 498", "plain 499"]


def test_globs_newest_first_bounded_and_stale_files_skipped(tmp_path: Path) -> None:
    now = time.time()
    for i in range(MAX_FILES + 4):
        path = tmp_path / f"worker-{i}.log"
        path.write_text(f"from worker {i}\n")
        os.utime(path, (now - 100 + i, now - 100 + i))
    stale = tmp_path / "worker-stale.log"
    stale.write_text("from long ago\n")
    os.utime(stale, (now - 7200, now - 7200))
    gatherer = LogGatherer([str(tmp_path / "worker-*.log"), str(tmp_path / "absent.log")])
    files = gatherer.files(now - 120)
    assert len(files) == MAX_FILES
    assert files[0].endswith(f"worker-{MAX_FILES + 3}.log") and str(stale) not in files
    items = gatherer.gather(request(now - 120, max_items=3))
    assert [item.text for item in items] == [
        f"from worker {i}" for i in (MAX_FILES + 1, MAX_FILES + 2, MAX_FILES + 3)
    ]


def test_the_byte_bound_holds_over_all_files(tmp_path: Path) -> None:
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text("".join(f"{name} line {i:04d}\n" for i in range(1000)))
    items = LogGatherer([str(tmp_path / "*.log")]).gather(request(time.time() - 120, max_bytes=1000))
    assert 0 < sum(len(item.text) for item in items) <= 1000


def test_a_rotated_log_includes_the_end_of_its_predecessor(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("before rotation\n")
    log.rename(tmp_path / "app.log.1")
    log.write_text("after rotation\n")
    items = LogGatherer([str(log)]).gather(request(time.time() - 120))
    assert [item.text for item in items] == ["before rotation", "after rotation"]


def test_a_fifo_among_the_logs_is_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "real.log").write_text("readable\n")
    items = LogGatherer([str(tmp_path / "*.log")]).gather(request(time.time() - 120))
    assert [item.text for item in items] == ["readable"]


def test_timestamp_formats() -> None:
    now = datetime(2026, 12, 6, 12, 0, 0).timestamp()
    utc = datetime.fromisoformat("2026-12-06T11:59:00+00:00").timestamp()
    assert line_time("2026-12-06T11:59:00Z msg", now=now) == utc
    assert line_time("2026-12-06T12:59:00+01:00 msg", now=now) == utc
    local = datetime(2026, 12, 6, 11, 59, 0, 500000).timestamp()
    assert line_time("2026-12-06 11:59:00.5 msg", now=now) == local
    assert line_time("Dec  6 11:59:00 host app[1]: msg", now=now) == datetime(2026, 12, 6, 11, 59).timestamp()
    assert line_time("Dec 31 23:00:00 host app: msg", now=now) == datetime(2025, 12, 31, 23).timestamp()
    clf = '10.0.0.1 - - [06/Dec/2026:11:59:00 +0000] "GET / HTTP/1.1" 500'
    assert line_time(clf, now=now) == utc
    assert line_time("no time here 12:00", now=now) is None
