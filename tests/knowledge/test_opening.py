"""Opening the base: a random base id, private file modes whatever the umask, a corrupt file
moved aside (and only a corrupt one), typed incident rows."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.knowledge.base import Store
from mapekd.knowledge.opening import BASE_MODE
from mapekd.knowledge.rows import IncidentRow
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


@pytest.fixture
def umask_zero() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_base_has_its_own_random_id_kept_across_opens(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "a.db")
    base_id = first.base_id
    first.close()
    again = SqliteStore(tmp_path / "a.db")
    other = SqliteStore(tmp_path / "b.db")
    assert again.base_id == base_id and len(base_id) == 32 and int(base_id, 16) >= 0
    assert other.base_id != base_id
    assert again.db.table("meta").get("base_id")["value"] == base_id
    again.close()
    other.close()


def test_the_base_and_its_wal_and_shm_are_not_world_readable(tmp_path: Path, umask_zero: None) -> None:
    path = tmp_path / "kb.db"
    store = SqliteStore(path)
    store.open_incident(Symptom("r", "p:a", "warning", "m", {}))  # the WAL has content
    files = [path, path.with_name("kb.db-wal"), path.with_name("kb.db-shm")]
    assert all(f.exists() for f in files)
    assert {f.name: _mode(f) for f in files} == {f.name: BASE_MODE for f in files}
    assert BASE_MODE & 0o137 == 0  # no write for the group, nothing for others
    store.close()


def test_a_base_made_world_readable_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    SqliteStore(path).close()
    path.chmod(0o666)
    SqliteStore(path).close()
    assert _mode(path) == 0o640


def test_a_corrupt_base_is_moved_aside_and_a_fresh_one_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "kb.db"
    old = SqliteStore(path)
    old_id = old.base_id
    old.close()
    garbage = b"this is not a database " * 400
    path.write_bytes(garbage)
    with caplog.at_level(logging.ERROR, logger="mapekd"):
        store = SqliteStore(path)
    (aside,) = tmp_path.glob("kb.db.corrupt-*")
    assert aside.read_bytes() == garbage
    assert store.base_id != old_id
    assert store.open_incident(Symptom("r", "p:a", "warning", "m", {})) == 1
    (record,) = [
        r for r in caplog.records if getattr(r, "event", {}).get("event") == "knowledge_base_corrupt"
    ]
    assert record.levelno == logging.ERROR
    assert record.event["path"] == str(path) and record.event["moved_to"] == str(aside)  # type: ignore[attr-defined]
    store.close()


def test_a_base_failing_quick_check_is_moved_aside_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    store = SqliteStore(path)
    for i in range(300):
        store.open_incident(Symptom("r", f"p:{i}", "warning", "m" * 200, {}))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 5 * page] = b"\xff" * (2 * page)  # b-tree pages overwritten, header intact
    path.write_bytes(bytes(data))
    path.with_name("kb.db-wal").write_bytes(b"")
    fresh = SqliteStore(path)
    asides = sorted(p.name for p in tmp_path.glob("kb.db.corrupt-*"))
    assert asides[1:] == [asides[0] + "-shm", asides[0] + "-wal"]  # the WAL kept, not checkpointed
    assert (tmp_path / asides[0]).read_bytes() == bytes(data)
    assert fresh.active_incidents() == []
    fresh.close()


def test_a_base_that_cannot_be_opened_is_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    path.mkdir()  # not a database, but not a corrupt one: SQLite cannot open it at all
    with pytest.raises(StoreError, match="cannot open knowledge base"):
        SqliteStore(path)
    assert list(tmp_path.glob("*.corrupt-*")) == [] and path.is_dir()


def test_incident_rows_are_typed(tmp_path: Path) -> None:
    store: Store = SqliteStore(tmp_path / "kb.db")  # mypy checks SqliteStore is a Store
    symptom = Symptom("web_down", "process:web", "critical", "web is down", {}, ts=100.0)
    incident = store.open_incident(symptom)
    row = store.incident_row(incident)
    assert row == IncidentRow(
        id=incident,
        signature="web_down@process:web",
        rule="web_down",
        target="process:web",
        severity="critical",
        status="open",
        summary="web is down",
        opened_at=100.0,
        updated_at=100.0,
        gave_up_at=None,
        resolved_at=None,
    )
    assert row.active and store.active_incident_row("web_down@process:web") == row
    assert store.active_incident_rows() == [row]
    store.resolve_incident(incident, 200.0)
    resolved = store.incident_row(incident)
    assert resolved is not None and not resolved.active and resolved.status == "resolved"
    assert store.active_incident_row("web_down@process:web") is None and store.incident_row(99) is None
    assert json.loads(json.dumps(store.incident(incident)))["resolved_at"] == 200.0
    store.close()


def test_updating_a_missing_row_is_a_store_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    with pytest.raises(StoreError, match="cannot update executions 42"):
        store.finish_execution(42, {"state": "succeeded"})
    store.close()
