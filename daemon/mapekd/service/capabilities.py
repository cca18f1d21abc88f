"""Capabilities the daemon's children would inherit: none ambient.

A unit that grants the daemon CAP_KILL for other users' processes (systemd/signal-other-users.conf)
can only do so for a non-root `User=` through `AmbientCapabilities=`, and ambient capabilities
pass to every program the daemon runs. Clearing the ambient set once the daemon runs keeps
CAP_KILL in its own permitted and effective sets (the signal action needs it) while the commands
and services it starts get none."""

from __future__ import annotations

import ctypes

PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4


def clear_ambient() -> bool:
    """True when the ambient set is empty now (False: the kernel refused, e.g. before 4.3)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) == 0
