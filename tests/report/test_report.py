"""`mapekd report --html`: a self-contained page whose charts have one mark per figure."""

from __future__ import annotations

import re
from pathlib import Path

from mapekd.cli.main import main
from mapekd.evidence.base import EvidenceItem
from mapekd.evidence.fingerprint import fingerprint
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from tests.cli.kbdata import fill
from tests.knowledge.history import DAY, NOW, record_incident

EXPECTED_MARKS = {"incidents": 5, "sources": 3, "ttm": 2, "actions": 4, "llm": 3}
"""From kbdata's history: incidents opened per day and state (2 resolved on the first day; 1
resolved and 1 gave up on the second; 2 resolved and 2 open on the third, 2 bars a day for those),
decisions by knowledge, llm and rule, two signatures mitigated, four (signature, action) pairs,
LLM calls on three days."""


def report(tmp_path: Path, db: Path, *args: str) -> str:
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--html", str(out), *args]) == 0
    return out.read_text()


def marks(page: str, chart: str) -> int:
    return len(re.findall(rf'<g id="{chart}-bar-\d+"', page))


def test_charts_and_worst_signatures(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    page = report(tmp_path, db, "--since", "7d")
    assert {chart: marks(page, chart) for chart in EXPECTED_MARKS} == EXPECTED_MARKS
    worst = re.findall(r'<td class="sig">([^<]+)</td>', page)
    assert worst == [
        "cpu_high@host:local",
        "cpu_high@host:other",
        "down@process:web",
        "disk_full@host:/var",
        "mem_high@process:db",
    ]


def test_the_page_needs_nothing_from_the_network(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    page = report(tmp_path, db)
    assert "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page)
    assert not re.search(r"""\b(src|href)=["'](?!#)""", page)  # only references inside the page
    assert len(re.findall(r"<svg\b", page)) == 5


def test_names_from_the_knowledge_base_are_escaped(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    store = SqliteStore(db)
    target = "<b>x</b>--><script>alert(1)</script>"
    incident = store.open_incident(Symptom("down", target, "critical", "m", {}))
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": 1.0,
            "verdict": "execute",
            "action": "restart",
            "target": target,
            "source": "rule",
        }
    )
    execution = store.start_execution(
        {
            "decision_id": decision,
            "incident_id": incident,
            "action": "restart",
            "target": target,
            "started_at": 2.0,
        }
    )
    store.finish_execution(execution, {"state": "failed", "finished_at": 3.0})
    store.record_outcome(execution, incident, "failed", "exit 1")
    store.give_up(incident)
    store.close()
    page = report(tmp_path, db, "--since", "all")
    assert marks(page, "actions") == 1  # the name is drawn in the chart, and written in its comments
    assert "<b>x</b>" not in page and "<script>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;--&gt;&lt;script&gt;" in page


def test_an_empty_knowledge_base_gives_a_page_that_says_so(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    SqliteStore(db).close()
    page = report(tmp_path, db)
    assert page.count("no data in this period") == 5 and "no incidents in this period" in page


def test_causes_with_their_templates_and_what_fixed_each(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    store = SqliteStore(db)
    lines = {
        "start_db": "FATAL connection refused to 10.0.0.5:5432",
        "kill_web": "worker 3 <b>blocked</b> on lock",
    }
    for day, (fixer, line) in enumerate([*lines.items(), ("start_db", lines["start_db"])]):
        attempts = [("restart_web", "succeeded", "not_resolved"), (fixer, "succeeded", "resolved")]
        incident = record_incident(store, "web_down", "process:web", NOW - (3 - day) * DAY, attempts)
        items = [EvidenceItem("log", "web.log", line)]
        found, templates = fingerprint("web_down@process:web", items)
        assert found is not None
        store.add_evidence(incident, items, templates, found.value, found.templates)
    store.close()
    page = report(tmp_path, db, "--since", "all")
    section = page[page.index('id="causes"') :]
    assert re.findall(r'<td class="cause-sig">([^<]+)</td>', section) == ["web_down@process:web"] * 2
    assert "<code>FATAL connection refused to &lt;ip&gt;:&lt;port&gt;</code>" in section
    assert "start_db 2/2, restart_web 0/2" in section and "kill_web 1/1, restart_web 0/1" in section
    assert "<b>blocked</b>" not in section
