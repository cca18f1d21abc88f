"""Opening the daemon's knowledge base file: private file modes, WAL, and a corrupt file moved
aside instead of failing every start (a supervisor would restart the daemon into the same error
forever, and nothing would heal meanwhile).

Only a file SQLite itself calls corrupt (SQLITE_CORRUPT, SQLITE_NOTADB, or `PRAGMA quick_check`
not `ok`) is moved; a file that cannot be opened for any other reason (permissions, a full disk,
a lock held too long) is left alone and reported as a StoreError."""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from mapekd.errors import StoreError

log = logging.getLogger(__name__)

BASE_MODE = 0o640
"""The most the base and its -wal/-shm may allow: the owner writes, the group (operators running
`mapekd kb` or `sqlite-utils`) reads, nobody else. SQLite gives -wal and -shm the mode of the
base file, so setting it on the base covers them."""
SIDE_FILES = ("-wal", "-shm")
BUSY_TIMEOUT_MS = 10_000
_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


class CorruptBaseError(StoreError):
    """The file is not a sound SQLite database."""


def open_base(path: Path) -> sqlite3.Connection:
    """A connection to the base at `path` (created if missing), moving a corrupt file aside and
    starting afresh, loudly."""
    try:
        return connect(path)
    except CorruptBaseError as exc:
        moved = move_aside(path)
        log.error(
            "the knowledge base is corrupt: moved aside, a fresh base started",
            extra={
                "event": {
                    "event": "knowledge_base_corrupt",
                    "path": str(path),
                    "moved_to": str(moved),
                    "error": str(exc),
                }
            },
        )
        return connect(path)


def connect(path: Path) -> sqlite3.Connection:
    """WAL (readers never block the daemon, nor it them), NORMAL sync, foreign keys, checked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        check_sound(path)
        create_private(path)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open knowledge base {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is still crash-safe (a power cut may lose the last transactions,
        # never corrupt the file) and drops an fsync per commit from the loop's hot path.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        conn.close()
        if _corrupt(exc):
            raise CorruptBaseError(f"{path}: {exc}") from exc
        raise StoreError(f"cannot open knowledge base {path}: {exc}") from exc
    tighten(path)
    return conn


def check_sound(path: Path) -> None:
    """CorruptBaseError when SQLite finds the file corrupt. Read-only: closing a writable
    connection would checkpoint the WAL into the damaged file and delete it, destroying what
    the file moved aside is kept for. Any other failure is left to the writable open."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10.0)
        try:
            (verdict,) = conn.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if _corrupt(exc):
            raise CorruptBaseError(f"{path}: {exc}") from exc
        return
    if verdict != "ok":
        raise CorruptBaseError(f"{path}: quick_check: {verdict}")


def _corrupt(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and exc.sqlite_errorcode & 0xFF in _CORRUPT_CODES


def create_private(path: Path) -> None:
    """Create the base file with BASE_MODE whatever the umask, before SQLite opens it (an empty
    file is an empty database to SQLite)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, BASE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, BASE_MODE)  # the umask may have taken bits away; never adds any
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Take away what BASE_MODE does not allow from a base made by an older version (0644)."""
    for file in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & ~BASE_MODE:
                file.chmod(mode & BASE_MODE)
        except FileNotFoundError:
            continue


def move_aside(path: Path) -> Path:
    """Rename the base and its -wal/-shm to `<name>.corrupt-<UTC time>` (kept for forensics)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        aside, n = path.with_name(f"{path.name}.corrupt-{stamp}.{n}"), n + 1
    try:
        for suffix in SIDE_FILES:
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
        path.rename(aside)
    except OSError as exc:
        raise StoreError(f"the knowledge base {path} is corrupt and cannot be moved aside: {exc}") from exc
    return aside
