"""sqlite-utils over the store's own connection (opened with WAL, foreign keys and a busy
timeout by knowledge/opening.py), with plugins off: the daemon runs privileged, and a plugin
would be code nobody configured. (sqlite-utils imports numpy where it is installed, to convert
numpy values on insert; README "Footprint" gives what that costs.)"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError


def database(conn: sqlite3.Connection) -> Database:
    return Database(conn, execute_plugins=False)


def is_not_found(exc: BaseException) -> bool:
    """sqlite-utils' NotFoundError: an update or get of a row that is not there."""
    return isinstance(exc, NotFoundError)
