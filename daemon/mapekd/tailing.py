"""Reading the end of a log file, bounded, and following it across rotation.

`last_lines` reads at most `max_bytes` from the end of a file, never the whole file; when the file
was just rotated (empty, or shorter than asked for) it also reads the end of its predecessor: the
`path.1` of logrotate's default, or else the newest `path-*` / `path.*` sibling that is not
compressed. `Follower` returns the complete lines appended since its last call, at most
`max_bytes` per call, and notices rotation (a new inode at the path: the old file's rest is
finished first while it is still open) and truncation (copytruncate: the size falls below the
offset, reading restarts at 0).

Only regular files are read. A log path may be a symlink (so no O_NOFOLLOW), but it is opened
O_NONBLOCK and checked with fstat on the open descriptor: a FIFO or a device never blocks the
reader nor gets read, a directory is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

COMPRESSED_SUFFIXES = (".gz", ".xz", ".bz2", ".zst", ".lz4", ".z", ".zip")


class NotRegularFile(OSError):
    """A path that is not a regular file (a FIFO, a device, a directory, a socket)."""


def open_regular(path: str | Path) -> int:
    """An O_RDONLY descriptor on `path`, which must be a regular file; NotRegularFile otherwise.
    O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"not a regular file: {path}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def last_lines(path: str | Path, *, max_bytes: int, max_lines: int) -> list[str]:
    """The last complete lines of `path` (at most `max_lines`, read from at most `max_bytes` at its
    end), preceded by the end of its rotated predecessor when the file itself is short. OSError
    (NotRegularFile among them) when `path` cannot be read."""
    fd = open_regular(path)
    try:
        lines, whole = _tail_fd(fd, max_bytes)
    finally:
        os.close(fd)
    if whole and len(lines) < max_lines:  # just rotated: the story starts in the previous file
        previous = predecessor(Path(path))
        if previous is not None:
            with contextlib.suppress(OSError):
                fd = open_regular(previous)
                try:
                    lines = _tail_fd(fd, max_bytes)[0] + lines
                finally:
                    os.close(fd)
    return lines[-max_lines:] if max_lines > 0 else []


def _tail_fd(fd: int, max_bytes: int) -> tuple[list[str], bool]:
    """The lines in the last `max_bytes` of `fd` (a partial first line dropped, a last line without
    its newline kept; a last line longer than the window given cut) and whether that was the whole
    file."""
    size = os.fstat(fd).st_size
    start = max(0, size - max_bytes)
    data = os.pread(fd, size - start, start) if size > start else b""
    if start > 0:  # drop the cut first line, unless the window holds nothing but one long line
        cut = data.find(b"\n")
        data = data[cut + 1 :] if 0 <= cut < len(data) - 1 else data
    return _decode_lines(data), start == 0


def predecessor(path: Path) -> Path | None:
    """The file `path` was rotated into: `path.1` if it exists, else the most recently modified
    uncompressed `path-*` or `path.*` sibling."""
    numbered = path.with_name(path.name + ".1")
    if _is_regular(numbered):
        return numbered
    try:
        siblings = [
            p
            for p in path.parent.iterdir()
            if p.name.startswith((path.name + ".", path.name + "-"))
            and not p.name.lower().endswith(COMPRESSED_SUFFIXES)
            and _is_regular(p)
        ]
    except OSError:
        return None
    return max(siblings, key=_mtime, default=None)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _decode_lines(data: bytes) -> list[str]:
    return [line.decode("utf-8", "replace").rstrip("\r") for line in data.splitlines()]


class Follower:
    """The lines appended to one log file since the last call, across rotation and truncation.

    The first call starts at the current end of the file (what was there before is history, see
    `last_lines`). A partial last line is held until its newline arrives.
    """

    def __init__(self, path: str | Path, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._offset = 0
        self._pending = b""

    def read_new(self) -> list[str]:
        """Complete lines appended since the last call (at most `max_bytes` read; the rest comes
        at the next call). OSError when the path is not a readable regular file."""
        if self._fd is None:
            self._open(at_end=True)
            return []
        budget = self.max_bytes
        lines: list[str] = []
        current = self._identity_at_path()
        if current is not None and current != self._inode:  # rotated: finish the old file first
            lines, used = self._read(budget)
            if not self._fully_read():
                return lines
            if self._pending:  # the old file's last line will never be completed now
                lines += _decode_lines(self._pending)
            self._switch()
            budget -= used
        if self._size() < self._offset:  # copytruncate: the file starts over
            self._offset, self._pending = 0, b""
        return lines + self._read(budget)[0]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self, *, at_end: bool) -> None:
        fd = open_regular(self.path)
        info = os.fstat(fd)
        self.close()
        self._fd, self._inode = fd, (info.st_dev, info.st_ino)
        self._offset = info.st_size if at_end else 0
        self._pending = b""

    def _switch(self) -> None:
        """Start the file now at the path from its beginning; the old one is done."""
        with contextlib.suppress(FileNotFoundError):  # gone again: the old one stays till next time
            self._open(at_end=False)

    def _identity_at_path(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (info.st_dev, info.st_ino)

    def _size(self) -> int:
        assert self._fd is not None
        return os.fstat(self._fd).st_size

    def _fully_read(self) -> bool:
        return self._offset >= self._size()

    def _read(self, budget: int) -> tuple[list[str], int]:
        """Read from the offset so that the held partial line and the new bytes together stay
        within `budget`: the complete lines, and the bytes read. A partial last line is held for
        the next call, unless it fills the whole cap (then it is given out cut)."""
        assert self._fd is not None
        room = budget - len(self._pending)
        data = os.pread(self._fd, room, self._offset) if room > 0 else b""
        self._offset += len(data)
        buffered = self._pending + data
        cut = buffered.rfind(b"\n") + 1
        complete, self._pending = buffered[:cut], buffered[cut:]
        if not complete and len(buffered) >= self.max_bytes:  # one line longer than the cap
            complete, self._pending = buffered, b""
        return _decode_lines(complete), len(data)
