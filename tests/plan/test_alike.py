"""The prompts show past incidents whose evidence reads like this one's, with what fixed them,
whatever their signature: recall by evidence (FTS5 bm25), not only by signature."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.evidence.base import EvidenceItem
from mapekd.knowledge.store import SqliteStore
from mapekd.plan.alike import evidence_alike
from mapekd.prompting import Prompts, plan_context
from tests.knowledge.test_evidence import HUNG, REFUSED, past
from tests.prompting.conftest import World
from tests.prompting.conftest import world as world  # the fixture


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    kb = SqliteStore(tmp_path / "alike.db")
    yield kb
    kb.close()


def test_a_plan_prompt_names_the_remedy_that_fixed_an_incident_whose_log_read_alike(
    store: SqliteStore, world: World
) -> None:
    refused = past(
        store,
        [("restart_web", "succeeded", "not_resolved"), ("start_db", "succeeded", "resolved")],
        REFUSED,
        days=2,
    )
    past(store, [("kill_web", "succeeded", "resolved")], HUNG, days=1)
    line = "2026-12-07T01:00:00Z FATAL could not connect: connection refused 10.0.0.5:5432"
    situation = replace(world.situation, evidence=(EvidenceItem("log", "/var/log/web.log", line),))

    alike = evidence_alike(store, situation)
    assert [a["incident"] for a in alike][:1] == [refused]
    context = plan_context(situation, None, world.candidates, [], [], alike=alike)
    user = Prompts().render("plan.j2", context).messages[1].content

    section = user.split("## Past incidents whose evidence reads like this one's")[1].split("##")[0]
    assert '"fixed_by":"start_db"' in section and "connection refused 10.0.0.5:5432" in section
    assert "kill_web" not in section, "an incident whose log reads otherwise is not recalled"


def test_no_evidence_no_search_and_an_unreadable_base_costs_only_the_section(world: World) -> None:
    class Down:
        def similar_by_evidence(self, *args: object, **kwargs: object) -> list[dict[str, object]]:
            raise StoreError("database is locked")

    assert evidence_alike(Down(), replace(world.situation, evidence=())) == []  # type: ignore[arg-type]
    assert evidence_alike(Down(), world.situation) == []  # type: ignore[arg-type]
    user = (
        Prompts().render("plan.j2", plan_context(world.situation, None, world.candidates, [], [])).messages[1]
    )
    assert "reads like this one's" not in user.content
