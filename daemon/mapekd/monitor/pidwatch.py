"""Seeing a process die at once: a pidfd registered with the event loop.

A pidfd (Linux >= 5.3) becomes readable when its process exits, so the loop wakes up on the death
itself instead of at the next poll. The pidfd is the one opened when the process was observed
(see monitor.identity), so it watches exactly that process even if its pid is reused. Where pidfds
are unavailable the watch quietly does nothing and the periodic collection still notices the
death, only later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mapekd.monitor.identity import ObservedProcess, ProcIdentity

if TYPE_CHECKING:
    from mapekd.evidence.exits import ExitBook


class PidWatch:
    """Watches at most one process on behalf of one check; `on_exit(check_name)` runs on its exit."""

    def __init__(
        self, check_name: str, on_exit: Callable[[str], None], exits: ExitBook | None = None
    ) -> None:
        self._check_name = check_name
        self._report_exit = on_exit
        self._exits = exits
        """Told of each death with the pidfd, which keeps the exit status for the evidence."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watched: ObservedProcess | None = None
        self.since = 0.0
        """time.time() when the process watched now (or last) was first watched."""

    @property
    def identity(self) -> ProcIdentity | None:
        """The process currently watched, None when nothing is."""
        return self._watched.identity if self._watched is not None else None

    def watch(self, observed: ObservedProcess) -> None:
        """Watch `observed` (taking ownership of the handle) instead of whatever was watched; a
        no-op when that very process is already watched. Call from the event loop's thread."""
        if self._watched is not None and self._watched.identity == observed.identity:
            observed.close()
            return
        self.clear()
        self.since = time.time()
        if observed.fd is None:  # no pidfd support: polling still works
            return
        loop = asyncio.get_running_loop()
        try:
            loop.add_reader(observed.fd, self._on_exit)
        except NotImplementedError:  # an event loop without add_reader
            observed.close()
            return
        self._loop, self._watched = loop, observed

    def clear(self) -> None:
        """Stop watching and close the pidfd, if any."""
        if self._watched is not None:
            if self._loop is not None and self._watched.fd is not None:
                self._loop.remove_reader(self._watched.fd)
            self._watched.close()
        self._loop, self._watched = None, None

    def _on_exit(self) -> None:
        if self._exits is not None and self._watched is not None:
            self._exits.note_death(self._check_name, self._watched.identity.pid, self._watched.fd)
        self.clear()
        self._report_exit(self._check_name)
