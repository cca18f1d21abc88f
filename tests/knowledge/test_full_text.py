"""Full-text recall over a real SQLite file: FTS5 indexes kept in sync by triggers, similar
incidents and runbooks ranked by bm25 beside the exact signature match."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.knowledge import recall
from mapekd.knowledge.migrate import apply_migrations
from mapekd.knowledge.recall import fts_query, matching_runbooks, similar_incidents
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.resources import migrations_dir
from tests.knowledge.history import DAY, NOW, record_incident


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "kb.db")
    yield store
    store.close()


def _incident(store: SqliteStore, rule: str, target: str, message: str, days_ago: float) -> int:
    return record_incident(store, rule, target, NOW - days_ago * DAY, [], message=message)


def test_similar_incidents_rank_by_text_after_the_exact_signature(store: SqliteStore) -> None:
    same = _incident(store, "api_down", "process:api", "api exited with status 1", 5)
    oom_far = _incident(store, "db_slow", "process:db", "queries slow after out of memory kill", 1)
    oom_close = _incident(store, "worker_down", "process:worker", "worker killed: out of memory", 2)
    _incident(store, "disk_full", "disk:/", "disk / is 95% full", 1)
    current = store.open_incident(
        Symptom("api_down", "process:api", "critical", "api killed: out of memory", {}, ts=NOW)
    )
    rows = similar_incidents(store, "api_down@process:api", "api_down", limit=4, exclude=current)
    # Exact signature first, then bm25: "killed out of memory" shares more words with the
    # worker's summary than with the database's; the disk incident shares none.
    assert [r["id"] for r in rows] == [same, oom_close, oom_far]
    assert all("rank" not in r and "actions" in r for r in rows)


def test_text_matches_come_before_same_rule_incidents(store: SqliteStore) -> None:
    by_rule = _incident(store, "web_down", "process:web2", "unrelated words entirely", 1)
    by_text = _incident(store, "cache_down", "process:cache", "connection refused on port 6379", 3)
    rows = similar_incidents(
        store, "web_down@process:web", "web_down", limit=3, summary="redis connection refused"
    )
    assert [r["id"] for r in rows] == [by_text, by_rule]


def test_summary_syntax_is_searched_as_text(store: SqliteStore) -> None:
    quoted = _incident(store, "app_err", "process:app", 'error "NEAR" (x) * - AND OR', 1)
    rows = similar_incidents(store, "other@x", "other", summary='"NEAR" (x) * - AND OR:')
    assert [r["id"] for r in rows] == [quoted]
    # Quotes and operators gone, single letters dropped, words quoted and deduplicated.
    assert fts_query('Ab "cd" ef* x AB') == '"ab" OR "cd" OR "ef"'
    assert fts_query("x" * 3 + " " + " ".join(f"w{i}" for i in range(100))).count(" OR ") == 23


def test_the_index_follows_updates_and_deletes(store: SqliteStore) -> None:
    incident = _incident(store, "r", "p:a", "alpha beta", 1)
    assert [r["id"] for r in similar_incidents(store, "x@y", "x", summary="alpha")] == [incident]
    with store.conn:
        store.conn.execute("UPDATE incidents SET summary = 'gamma' WHERE id = ?", (incident,))
    assert similar_incidents(store, "x@y", "x", summary="alpha") == []
    assert [r["id"] for r in similar_incidents(store, "x@y", "x", summary="gamma")] == [incident]
    with store.conn:
        for table in ("outcomes", "executions", "decisions", "symptoms"):
            store.conn.execute(f"DELETE FROM {table} WHERE incident_id = ?", (incident,))
        store.conn.execute("DELETE FROM incidents WHERE id = ?", (incident,))
    assert similar_incidents(store, "x@y", "x", summary="gamma") == []
    (check,) = store.conn.execute(
        "SELECT COUNT(*) FROM incidents_fts WHERE incidents_fts MATCH 'gamma'"
    ).fetchone()
    assert check == 0


def test_runbooks_of_equal_fit_rank_by_text(store: SqliteStore) -> None:
    def runbook(name: str, title: str, body: str) -> None:
        store.db.table("runbooks").insert(
            {"name": name, "title": title, "body": body, "source": "user", "rules": json.dumps(["svc_*"])}
        )

    runbook("a-generic", "A service is down", "Restart it and look at the journal.")
    runbook("b-memory", "Killed for memory", "An out of memory kill: raise MemoryMax, find the leak.")
    runbook("c-ports", "Port in use", "Another process holds the port: find it with ss.")
    summary = "svc killed: out of memory"
    found = matching_runbooks(store, "svc_down", "svc", "svc_down@process:svc", limit=3, summary=summary)
    assert [r["name"] for r in found] == ["b-memory", "a-generic", "c-ports"]
    ports = matching_runbooks(
        store, "svc_down", "svc", "svc_down@process:svc", limit=3, summary="port in use"
    )
    assert ports[0]["name"] == "c-ports"
    # Without a summary the order is the fit, then the name.
    plain = matching_runbooks(store, "svc_down", "svc", "svc_down@process:svc", limit=3)
    assert [r["name"] for r in plain] == ["a-generic", "b-memory", "c-ports"]


def test_sqlite_utils_finds_the_indexes(store: SqliteStore) -> None:
    assert store.db.table("incidents").detect_fts() == "incidents_fts"
    assert store.db.table("analyses").detect_fts() == "analyses_fts"
    assert store.db.table("runbooks").detect_fts() == "runbooks_fts"
    incident = _incident(store, "r", "p:a", "m", 1)
    store.record_analysis(
        {
            "incident_id": incident,
            "ts": NOW,
            "state": "ok",
            "summary": "pool exhausted",
            "suspected_cause": "leak",
        }
    )
    assert [r["incident_id"] for r in store.db.table("analyses").search("leak")] == [incident]


def test_an_existing_base_is_indexed_when_it_upgrades(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for path in sorted(migrations_dir().glob("*.sql")):
        if path.stem < "0007":
            shutil.copy(path, old)
    with sqlite3.connect(tmp_path / "kb.db") as conn:
        apply_migrations(conn, old)
        conn.execute(
            "INSERT INTO incidents (signature, rule, target, severity, status, summary, opened_at, "
            "updated_at) VALUES ('s@t', 's', 't', 'critical', 'resolved', 'segfault in worker', 1, 1)"
        )
    conn.close()
    store = SqliteStore(tmp_path / "kb.db")
    assert [r["signature"] for r in similar_incidents(store, "x@y", "x", summary="worker segfault")] == [
        "s@t"
    ]
    store.close()


def test_the_full_text_migration_is_all_or_nothing(tmp_path: Path) -> None:
    """The FTS tables and triggers are made inside the migration's transaction (not by
    enable_fts, which commits on its own): a failure leaves none of them behind."""
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in sorted(migrations_dir().glob("*.sql")):
        if path.stem < "0007":
            shutil.copy(path, broken)
    full_text = next(migrations_dir().glob("0007_*.sql"))
    (broken / full_text.name).write_text(full_text.read_text() + "\nINSERT INTO nowhere VALUES (1);\n")
    conn = sqlite3.connect(tmp_path / "kb.db")
    with pytest.raises(StoreError, match="0007"):
        apply_migrations(conn, broken)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%fts%'")}
    assert names == set()
    assert "0007" not in " ".join(r[0] for r in conn.execute("SELECT name FROM migrations"))
    conn.close()


def test_text_recall_searches_the_latest_incidents_newest_first_among_equals(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_incident(store, "disk_full", f"disk:/d{i}", "disk full on /srv", 10 - i) for i in range(4)]
    rows = similar_incidents(store, "x@y", "x", limit=3, summary="disk full")
    assert [r["id"] for r in rows] == ids[::-1][:3]  # equal rank: the newest first
    monkeypatch.setattr(recall, "TEXT_WINDOW", 2)
    rows = similar_incidents(store, "x@y", "x", limit=3, summary="disk full")
    assert [r["id"] for r in rows] == [ids[3], ids[2]]
