"""Seeing a process die at once: a pidfd registered with the event loop.

A pidfd (Linux >= 5.3) becomes readable when its process exits, so the loop wakes up on the death
itself instead of at the next poll. Where pidfds are unavailable the watch quietly does nothing and
the periodic collection still notices the death, only later.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)


class PidWatch:
    """Watches at most one pid on behalf of one check; `notify(check_name)` runs on its exit."""

    def __init__(self, check_name: str, notify: Callable[[str], None]) -> None:
        self._check_name = check_name
        self._notify = notify
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self._pid: int | None = None

    @property
    def pid(self) -> int | None:
        """The pid currently watched, None when nothing is."""
        return self._pid

    def watch(self, pid: int) -> None:
        """Watch `pid` instead of whatever was watched; a no-op when it is already watched.

        Must be called from the event loop's thread. There is a tiny window between finding the
        pid and opening its pidfd in which the pid could die and be reused; one collection
        interval later the check's own scan corrects that.
        """
        if pid == self._pid and self._fd is not None:
            return
        self.clear()
        loop = asyncio.get_running_loop()
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            # It died between the scan and now: report it like a death seen through the fd.
            loop.call_soon(self._notify, self._check_name)
            return
        except OSError as exc:  # no pidfd support (old kernel, seccomp): polling still works
            log.debug("pidfd_open(%d) for check %s failed: %s", pid, self._check_name, exc)
            return
        try:
            loop.add_reader(fd, self._on_exit)
        except NotImplementedError:  # an event loop without add_reader
            os.close(fd)
            return
        self._loop, self._fd, self._pid = loop, fd, pid

    def clear(self) -> None:
        """Stop watching and close the pidfd, if any."""
        if self._fd is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._fd)
            os.close(self._fd)
        self._loop, self._fd, self._pid = None, None, None

    def _on_exit(self) -> None:
        self.clear()
        self._notify(self._check_name)
