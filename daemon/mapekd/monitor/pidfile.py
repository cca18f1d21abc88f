"""Reading a pidfile without trusting it: it names the process a signal may reach.

Opened non-blocking (a FIFO in its place would otherwise block the open until a writer comes),
without following a symlink, and only when it is a regular file (checked before opening, so a
device is never opened, and again on the descriptor, against a swap in between). Its owner must
be root, the daemon's own user or the user the check names: a pidfile another user can write
could point the daemon at any process. At most MAX_PIDFILE_BYTES are read.
"""

from __future__ import annotations

import os
import pwd
import stat

from mapekd.errors import CheckError

MAX_PIDFILE_BYTES = 4096
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_pidfile(path: str, trusted_uids: frozenset[int]) -> tuple[str, float]:
    """The file's text, stripped, and its mtime. Raises FileNotFoundError when it is absent,
    CheckError when it is not a regular file, not trusted or cannot be read."""
    try:
        _require_trusted(path, os.lstat(path), trusted_uids)
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CheckError(f"pidfile {path}: {exc.strerror or type(exc).__name__}") from exc
    try:
        info = os.fstat(fd)
        _require_trusted(path, info, trusted_uids)
        return os.read(fd, MAX_PIDFILE_BYTES).decode("ascii", errors="replace").strip(), info.st_mtime
    except OSError as exc:
        raise CheckError(f"pidfile {path}: {exc.strerror or type(exc).__name__}") from exc
    finally:
        os.close(fd)


def _require_trusted(path: str, info: os.stat_result, trusted_uids: frozenset[int]) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise CheckError(f"pidfile {path} is {kind}, not a regular file: not read")
    if info.st_uid not in trusted_uids:
        raise CheckError(
            f"pidfile {path} is owned by {_user_name(info.st_uid)}, not by root, the daemon's user "
            "or the check's user: not trusted"
        )


def _user_name(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"
