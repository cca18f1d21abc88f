"""Export reads a table in pages by id through sqlite-utils: every row once, in id order."""

from __future__ import annotations

from pathlib import Path

from mapekd.knowledge.export import columns, iter_rows
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


def test_pages_cover_every_row_once_in_order(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    symptoms = [Symptom("r", f"p:{i}", "warning", f"m{i}", {}, ts=100.0 + i) for i in range(7)]
    ids = [store.open_incident(symptom) for symptom in symptoms]
    names = columns(store.conn, "incidents")
    rows = list(iter_rows(store.conn, "incidents", since=101.0, page=2))
    assert [dict(zip(names, row, strict=True))["id"] for row in rows] == ids[1:]
    assert all(len(row) == len(names) for row in rows)
    store.close()
