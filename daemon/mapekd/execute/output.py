"""An action's output, read from a pipe of our own with a byte cap that keeps the tail.

The reader never waits for end-of-file: a background process the action started may hold the
write end for as long as it lives. Once the action's own process has exited, `drain()` takes what
is already in the pipe, without waiting, and the pipe is closed (a background process that writes
to it later gets EPIPE: such a process should log elsewhere, or be a `detach: true` service).
"""

from __future__ import annotations

import asyncio
import os

READ_CHUNK = 65_536
OUTPUT_CAP = 65_536
"""Bytes of output kept while reading; older bytes are dropped as newer ones arrive."""
MAX_DRAIN_READS = 64
"""Reads after the exit: a background writer filling the pipe as fast as we read cannot keep
the action from ending."""


class TailReader:
    """Owns both ends of a pipe: `write_fd` goes to the child, then is closed here."""

    def __init__(self, cap: int = OUTPUT_CAP) -> None:
        self.cap = cap
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(self.read_fd, False)  # our end only: the child writes as it always does
        self._tail = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """The child has its copy: close ours, and read as output arrives."""
        self._close_write()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.read_fd, self._read_ready)

    def _read_ready(self) -> None:
        if self._read_once() == 0 and self._loop is not None:
            self._loop.remove_reader(self.read_fd)  # end of file: every writer closed it
            self._loop = None

    def _read_once(self) -> int | None:
        """One non-blocking read into the tail: bytes read, 0 at end of file, None if empty."""
        try:
            chunk = os.read(self.read_fd, READ_CHUNK)
        except BlockingIOError:
            return None
        self._tail += chunk
        if len(self._tail) > self.cap:
            del self._tail[: len(self._tail) - self.cap]
        return len(chunk)

    def drain(self) -> None:
        """What is in the pipe now, without waiting for more; then the pipe is closed."""
        for _ in range(MAX_DRAIN_READS):
            if not self._read_once():
                break
        self.close()

    def text(self, chars: int) -> str:
        return self._tail.decode("utf-8", "replace")[-chars:]

    def close(self) -> None:
        self._close_write()
        if self.read_fd >= 0:
            if self._loop is not None:
                self._loop.remove_reader(self.read_fd)
                self._loop = None
            os.close(self.read_fd)
            self.read_fd = -1

    def _close_write(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1
