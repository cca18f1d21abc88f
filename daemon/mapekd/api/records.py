"""Call records written after the answer has gone out, not before: a gateway call's record is
handed over while the request is still being answered, and its SQLite commit would add to the
latency of every call. The write runs as the event loop's next callback (the response is written
to the socket before that), and whatever is still pending is written by `flush` at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from mapekd.llm.types import CallRecord

log = logging.getLogger("mapekd.api")


class DeferredRecords:
    """A gateway sink that defers `write` to the loop's next turn; `flush` writes the rest now."""

    def __init__(self, write: Callable[[CallRecord], object]) -> None:
        self._write = write
        self._pending: list[CallRecord] = []
        self._scheduled: asyncio.Handle | None = None

    def __call__(self, record: CallRecord) -> None:
        self._pending.append(record)
        if self._scheduled is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to defer to
            self.flush()
            return
        self._scheduled = loop.call_soon(self.flush)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write every pending record, in the order they came."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        pending, self._pending = self._pending, []
        for record in pending:
            try:
                self._write(record)
            except Exception:  # one bad write must not lose the others
                log.exception("writing a call record failed")
