"""The bounded tail reader on real files: rotation, truncation, caps, and what it refuses."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mapekd.tailing import Follower, NotRegularFile, last_lines, predecessor


def write(path: Path, text: str, mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as f:
        f.write(text)


def numbered(start: int, stop: int) -> str:
    return "".join(f"line {i}\n" for i in range(start, stop))


def test_last_lines_reads_only_the_end_within_the_byte_cap(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, numbered(0, 100_000))  # about 1.2 MB
    lines = last_lines(log, max_bytes=100, max_lines=50)
    assert lines[-1] == "line 99999"
    assert sum(len(line) + 1 for line in lines) <= 100
    assert all(line.startswith("line ") for line in lines)  # the cut first line is dropped
    assert last_lines(log, max_bytes=10_000, max_lines=3) == ["line 99997", "line 99998", "line 99999"]


def test_last_lines_keeps_an_unterminated_last_line(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "first\nsecond without newline")
    assert last_lines(log, max_bytes=1000, max_lines=10) == ["first", "second without newline"]


def test_a_last_line_longer_than_the_window_is_given_cut(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "short\n" + "y" * 500 + "\n")
    assert last_lines(log, max_bytes=100, max_lines=5) == ["y" * 99]


def test_just_rotated_file_also_gives_the_end_of_its_predecessor(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, numbered(0, 10))
    log.rename(tmp_path / "app.log.1")
    write(log, "after rotation\n")
    assert last_lines(log, max_bytes=1000, max_lines=3) == ["line 8", "line 9", "after rotation"]


def test_predecessor_is_the_newest_uncompressed_sibling(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    old, newer, packed = (tmp_path / n for n in ("app.log-20260101", "app.log-20260102", "app.log.2.gz"))
    for i, path in enumerate((old, newer, packed)):
        write(path, f"{path.name}\n")
        os.utime(path, (1000 + i, 1000 + i))
    assert predecessor(log) == newer
    assert last_lines(log, max_bytes=100, max_lines=5) == ["app.log-20260102"]


def test_a_full_file_does_not_read_its_predecessor(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(tmp_path / "app.log.1", "older\n")
    write(log, numbered(0, 1000))
    assert "older" not in last_lines(log, max_bytes=200, max_lines=1000)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    outcome: list[BaseException | list[str]] = []

    def read() -> None:
        try:
            outcome.append(last_lines(fifo, max_bytes=100, max_lines=5))
        except OSError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert isinstance(outcome[0], NotRegularFile)
    with pytest.raises(NotRegularFile):
        Follower(fifo, max_bytes=100).read_new()


def test_a_directory_and_a_device_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        last_lines(tmp_path, max_bytes=100, max_lines=5)
    with pytest.raises(NotRegularFile):
        last_lines("/dev/zero", max_bytes=100, max_lines=5)


def test_a_symlinked_log_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.log"
    write(real, "through the link\n")
    link = tmp_path / "link.log"
    link.symlink_to(real)
    assert last_lines(link, max_bytes=100, max_lines=5) == ["through the link"]


def test_follower_starts_at_the_end_and_holds_a_partial_line(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "history\n")
    follower = Follower(log, max_bytes=1000)
    assert follower.read_new() == []
    write(log, "one\ntw")
    assert follower.read_new() == ["one"]
    assert follower.read_new() == []
    write(log, "o\n")
    assert follower.read_new() == ["two"]


def test_follower_across_rename_and_create(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    follower = Follower(log, max_bytes=1000)
    follower.read_new()
    write(log, "before\nlast words")
    log.rename(tmp_path / "app.log.1")
    write(log, "new file\n")
    assert follower.read_new() == ["before", "last words", "new file"]
    write(log, "more\n")
    assert follower.read_new() == ["more"]


def test_follower_after_copytruncate_restarts_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, numbered(0, 50))
    follower = Follower(log, max_bytes=10_000)
    follower.read_new()
    write(log, numbered(50, 60))
    assert follower.read_new() == [f"line {i}" for i in range(50, 60)]
    with log.open("r+") as f:  # what logrotate's copytruncate does after copying
        f.truncate(0)
    write(log, "fresh\n")
    assert follower.read_new() == ["fresh"]


def test_follower_reads_at_most_max_bytes_per_call(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    follower = Follower(log, max_bytes=100)
    follower.read_new()
    write(log, numbered(0, 100))  # about 700 bytes
    got: list[str] = []
    for _ in range(20):
        batch = follower.read_new()
        assert sum(len(line) + 1 for line in batch) <= 100
        got += batch
    assert got == [f"line {i}" for i in range(100)]


def test_follower_cuts_a_line_longer_than_the_cap(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    follower = Follower(log, max_bytes=64)
    follower.read_new()
    write(log, "x" * 200)
    pieces = follower.read_new() + follower.read_new() + follower.read_new()
    assert pieces and all(len(piece) <= 64 for piece in pieces)
    assert "".join(pieces) == "x" * len("".join(pieces))


def test_follower_copes_with_a_rotation_gap(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    follower = Follower(log, max_bytes=1000)
    follower.read_new()
    write(log, "old\n")
    log.rename(tmp_path / "app.log.1")  # the new file does not exist yet
    assert follower.read_new() == ["old"]
    time.sleep(0.01)
    write(log, "new\n")
    assert follower.read_new() == ["new"]
