"""Loading the shipped runbooks into the knowledge base: idempotent, operators' rows untouched."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.errors import ConfigError
from mapekd.knowledge.runbooks import LoadResult, load_runbooks, parse_runbook, runbooks_dir
from mapekd.knowledge.store import SqliteStore
from mapekd.prompting.context import RUNBOOK_CHARS

SHIPPED = ["crashed-service", "disk-filling", "hung-http-service", "memory-pressure"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "kb.db")
    yield store
    store.close()


def rows(store: SqliteStore) -> list[tuple[object, ...]]:
    return list(
        store.conn.execute("SELECT name, title, rules, signatures, body, source FROM runbooks ORDER BY name")
    )


def test_loading_twice_changes_nothing(store: SqliteStore) -> None:
    assert load_runbooks(store) == LoadResult(inserted=4)
    first = rows(store)
    assert [r[0] for r in first] == SHIPPED and {r[5] for r in first} == {"seed"}
    assert load_runbooks(store) == LoadResult(unchanged=4)
    assert rows(store) == first


def test_seed_rows_follow_the_files_and_operator_rows_are_kept(store: SqliteStore, tmp_path: Path) -> None:
    directory = tmp_path / "runbooks"
    shutil.copytree(runbooks_dir(), directory)
    load_runbooks(store, directory)
    with store.conn:
        store.conn.execute("UPDATE runbooks SET body = 'ours', source = 'user' WHERE name = 'disk-filling'")
        store.conn.execute(
            "INSERT INTO runbooks (name, body, source) VALUES ('db-notes', 'Call Ana.', 'user')"
        )
    text = (directory / "memory-pressure.md").read_text()
    (directory / "memory-pressure.md").write_text(
        text.replace("Find who holds it", "Find who holds the memory")
    )
    (directory / "hung-http-service.md").unlink()
    assert load_runbooks(store, directory) == LoadResult(updated=1, unchanged=1, removed=1, kept_operator=1)
    names = {r[0]: r for r in rows(store)}
    assert set(names) == {"crashed-service", "disk-filling", "memory-pressure", "db-notes"}
    assert names["disk-filling"][4:] == ("ours", "user") and names["db-notes"][4:] == ("Call Ana.", "user")
    assert "Find who holds the memory" in str(names["memory-pressure"][4])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("no front matter\n", "starts with YAML front matter"),
        ("---\ntitle: x\nrules: [a]\n", "starts with YAML front matter"),
        ("---\nrules: [a]\n---\nbody\n", "title"),
        ("---\ntitle: x\nrules: [a]\nwhen: always\n---\nbody\n", "when"),
        ("---\ntitle: x\n---\nbody\n", "it would fit nothing"),
        ("---\ntitle: x\nsignatures: ['*@host']\n---\n\n", "no body"),
        ("---\ntitle: [unclosed\n---\nbody\n", "invalid front matter"),
    ],
)
def test_invalid_runbooks_are_refused_with_their_file(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "broken.md"
    path.write_text(text)
    with pytest.raises(ConfigError, match=error) as caught:
        parse_runbook(path)
    assert caught.value.path == "broken.md"


def test_shipped_runbooks_are_short_enough_to_reach_the_prompt_whole() -> None:
    for path in sorted(runbooks_dir().glob("*.md")):
        runbook = parse_runbook(path)
        assert len(runbook.body) <= RUNBOOK_CHARS, path.name
        assert runbook.meta.signatures, path.name
