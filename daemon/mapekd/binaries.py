"""systemd's tools by absolute path, looked up once in fixed system directories, never on PATH:
a PATH entry writable by someone else must not decide what the privileged daemon runs."""

from __future__ import annotations

import os
from collections.abc import Sequence

SYSTEM_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin")


def system_binary(name: str, dirs: Sequence[str] = SYSTEM_DIRS) -> str | None:
    """The first executable `name` in `dirs`, or None where it is not installed."""
    for directory in dirs:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def not_installed(name: str, dirs: Sequence[str] = SYSTEM_DIRS) -> str:
    """The error of an action that needs `name` on a host without it."""
    return f"{name} is not installed (looked in {', '.join(dirs)}; PATH is never used)"
