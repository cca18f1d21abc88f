"""The journal gatherer on real journal files, read by the real journalctl."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.journal import JournalGatherer
from tests.evidence.journal_files import Entry, write_journal


def request(since: float, *, max_items: int = 50, max_bytes: int = 65_536) -> EvidenceRequest:
    now = time.time()
    return EvidenceRequest(1, "web", "systemd:web.service", now, since, 20.0, max_items, max_bytes)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    now = time.time()
    return write_journal(
        tmp_path / "journal",
        [
            Entry("long before the incident", now - 3600),
            Entry("listening on :8080", now - 30),
            Entry("db: connection refused 10.0.0.5:5432", now - 20, priority=3),
            Entry("a neighbour's line", now - 15, unit="db.service"),
            Entry(b"bytes \x01 and \xff invalid", now - 10, binary=True),
            Entry(b'Traceback (most recent call last):\n  File "app.py"', now - 8, binary=True, priority=3),
            Entry(
                "web.service: Main process exited, code=killed, status=9/KILL",
                now - 5,
                unit="init.scope",
                priority=5,
                extra=(("UNIT", "web.service"), ("_PID", "1")),
            ),
        ],
    )


def test_reads_the_units_lines_since_the_incident_window(journal: Path) -> None:
    gatherer = JournalGatherer("web.service", directory=str(journal))
    items = gatherer.gather(request(time.time() - 120))
    assert [item.text for item in items] == [
        "listening on :8080",
        "err: db: connection refused 10.0.0.5:5432",
        "bytes \x01 and \ufffd invalid",
        "err: Traceback (most recent call last):",
        'err:   File "app.py"',
        "web.service: Main process exited, code=killed, status=9/KILL",
    ]
    assert {item.kind for item in items} == {"journal"}
    assert {item.source for item in items} == {"web.service"}
    assert all(item.at is not None and abs(item.at - time.time()) < 120 for item in items)
    assert items[0].at is not None and items[1].at is not None and items[0].at < items[1].at


def test_without_a_configured_unit_the_targets_unit_is_read(journal: Path) -> None:
    items = JournalGatherer(directory=str(journal)).gather(request(time.time() - 120))
    assert len(items) == 6 and {item.source for item in items} == {"web.service"}


def test_keeps_the_newest_within_the_item_and_byte_bounds(journal: Path) -> None:
    gatherer = JournalGatherer("web.service", directory=str(journal))
    two = gatherer.gather(request(time.time() - 120, max_items=2))
    assert [item.text for item in two][-1].startswith("web.service: Main process exited")
    assert len(two) == 2
    small = gatherer.gather(request(time.time() - 120, max_bytes=70))
    assert len(small) == 1 and small[0].text.endswith("status=9/KILL")


def test_the_argv_has_no_shell_and_bounds_the_count(journal: Path) -> None:
    gatherer = JournalGatherer("web.service", directory=str(journal))
    argv = gatherer.argv(request(1_700_000_000.5, max_items=7), "web.service")
    assert argv[0].startswith("/") and "--unit=web.service" in argv
    assert "--since=@1700000000" in argv and "--lines=7" in argv
    assert f"--directory={journal}" in argv


def test_an_unknown_unit_or_missing_directory_gives_nothing(tmp_path: Path, journal: Path) -> None:
    assert JournalGatherer("nothing.service", directory=str(journal)).gather(request(0)) == []
    assert JournalGatherer("web.service", directory=str(tmp_path / "absent")).gather(request(0)) == []


def test_without_journalctl_it_says_why_and_gives_nothing(caplog: pytest.LogCaptureFixture) -> None:
    gatherer = JournalGatherer("web.service", journalctl="/nonexistent/journalctl")
    caplog.set_level("DEBUG", logger="mapekd.evidence")
    assert gatherer.gather(request(0)) == []
    assert "cannot start" in caplog.text or "journalctl" in caplog.text
