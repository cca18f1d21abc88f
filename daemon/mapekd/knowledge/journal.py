"""Writes that never stop the loop: the knowledge base may be locked (`mapekd kb vacuum`), full or
failing, and healing goes on.

Every row the daemon inserts gets its id from memory (`Ids`, seeded from the base when it opens),
so no write needs an answer from the base before the loop goes on. A write is tried at once, with
the daemon connection's short busy timeout; when the base cannot take it (locked past that
timeout, disk full, an I/O error) it is kept in a bounded backlog in memory, in order, and so is
every write after it until the backlog has drained: the row an action writes before it runs is
kept there too, and written once the base is back. Meanwhile `degraded` says why, and the loop
heals on from what it keeps in memory (policy counters, active incidents). The backlog is drained
from the loop (`catch_up`, every cycle), stopping at the first write that still fails.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from mapekd.errors import StoreError

log = logging.getLogger("mapekd.knowledge")
BACKLOG_LIMIT = 20_000
"""Writes kept while the base is down; past it the oldest expendable ones (samples, LLM call
records) go first, then the oldest of any kind, each counted in `dropped`."""
EXPENDABLE = frozenset({"samples", "llm_calls"})

Write = Callable[[Database], object]


@dataclass(frozen=True, slots=True)
class Held:
    table: str
    write: Write


class Ids:
    """The next id of each table, kept in memory: seeded with MAX(id) + 1 when the base opens."""

    def __init__(self, db: Database, tables: frozenset[str]) -> None:
        sql = "SELECT COALESCE(MAX(id), 0) + 1 FROM {}"  # only the store's own table names
        self._next = {t: int(db.execute(sql.format(t)).fetchone()[0]) for t in tables}

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class Journal:
    def __init__(self, db: Database, *, limit: int = BACKLOG_LIMIT) -> None:
        self.db = db
        self.limit = limit
        self._backlog: deque[Held] = deque()
        self.degraded: str | None = None
        """Why writes are being held (None: the base takes them as they come)."""
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._backlog)

    def write(self, table: str, write: Write) -> None:
        """Write now, or hold it (in order) while the base cannot take writes. Raises StoreError
        only for a write the base refuses for what it is (a constraint): a bug, not an outage."""
        if self._backlog:
            self._hold(Held(table, write))
            return
        try:
            self._apply(write)
        except _Outage as exc:
            self._begin_outage(str(exc.__cause__))
            self._hold(Held(table, write))

    def catch_up(self, budget: int = 500) -> int:
        """Apply up to `budget` held writes in order, stopping at the first that still fails;
        returns how many were written."""
        done = 0
        while self._backlog and done < budget:
            try:
                self._apply(self._backlog[0].write)
            except _Outage as exc:
                self.degraded = str(exc.__cause__)
                return done
            except StoreError:
                log.exception(
                    "a held write was refused; dropped", extra={"event": {"event": "write_dropped"}}
                )
                self.dropped += 1
            self._backlog.popleft()
            done += 1
        if not self._backlog and self.degraded is not None:
            log.warning(
                "knowledge base writable again; held writes caught up",
                extra={"event": {"event": "knowledge_base_back", "dropped": self.dropped}},
            )
            self.degraded = None
        return done

    def _apply(self, write: Write) -> None:
        try:
            with self.db.conn:
                write(self.db)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"write refused: {exc}") from exc
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            raise _Outage from exc

    def _begin_outage(self, why: str) -> None:
        self.degraded = why
        log.error(
            "knowledge base cannot take writes; holding them in memory and healing on",
            extra={"event": {"event": "knowledge_base_down", "error": why}},
        )

    def _hold(self, held: Held) -> None:
        if len(self._backlog) >= self.limit:
            victim = next((h for h in self._backlog if h.table in EXPENDABLE), self._backlog[0])
            self._backlog.remove(victim)
            self.dropped += 1
        self._backlog.append(held)


class _Outage(Exception):
    """The base could not take a write now (its cause says why); it is held and tried again."""
