"""sqlite-utils, imported when the store first needs it, without numpy or pandas.

sqlite-utils imports numpy and pandas at import time when they are installed, only to convert
their values on insert: the knowledge base never writes one. numpy is installed beside the
daemon by the `[report]` and `[semantic]` extras, and importing it costs the daemon 13 MiB of
RSS for nothing. So while sqlite-utils itself is imported, both are hidden (a `None` entry in
`sys.modules` makes `import numpy` raise ImportError, which sqlite-utils expects) and unhidden
at once after: anything importing numpy later gets the real one. (The daemon opens its store at
start, before any thread that could import numpy meanwhile exists.)
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from sqlite_utils import Database

HIDDEN_WHILE_IMPORTING = ("numpy", "pandas")


def sqlite_utils_db() -> ModuleType:
    """The `sqlite_utils.db` module, imported once."""
    loaded = sys.modules.get("sqlite_utils.db")
    if loaded is not None:
        return loaded
    hidden = [name for name in HIDDEN_WHILE_IMPORTING if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented way to block an import
    try:
        return importlib.import_module("sqlite_utils.db")
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def database(conn: sqlite3.Connection) -> Database:
    # No plugins: the daemon runs privileged, and a plugin would be code nobody configured.
    return cast("Database", sqlite_utils_db().Database(conn, execute_plugins=False))


def is_not_found(exc: BaseException) -> bool:
    """sqlite-utils' NotFoundError: an update or get of a row that is not there."""
    return isinstance(exc, sqlite_utils_db().NotFoundError)
