"""`mapekd gateway`'s hosting: the API over a gateway of its own whose calls land in the
knowledge base, every one of them, also those still pending when it stops."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from mapekd.api.hosting import HostedApi, host_api
from mapekd.api.records import DeferredRecords
from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.types import CallRecord, Usage

from .harness import ANSWERS, LLM, TOKENS, bearer


def settings(tmp: Path) -> Settings:
    answers = tmp / "answers.yaml"
    answers.write_text(yaml.safe_dump(ANSWERS))
    provider = {"name": "canned", "type": "offline", "answers_path": str(answers), "model": "canned-model"}
    return Settings.model_validate(
        {
            "llm": {"providers": [provider], "cache": {"exact": {"enabled": False}}},
            "api": {"enabled": True, "port": 0, "tokens": TOKENS},
            "knowledge": {"path": str(tmp / "kb.db")},
        }
    )


def calls_in(db: Path) -> list[tuple[str, str]]:
    store = SqliteStore(db)
    try:
        rows = store.conn.execute("SELECT provider, tenant FROM llm_calls ORDER BY id").fetchall()
    finally:
        store.close()
    return [tuple(row) for row in rows]


async def test_every_call_of_the_own_gateway_is_in_the_knowledge_base_after_stop(tmp_path: Path) -> None:
    config = settings(tmp_path)
    store = SqliteStore(config.knowledge.path)
    hosted = await host_api(config, store, None)
    body = {"messages": [{"role": "user", "content": "hello"}]}
    async with httpx.AsyncClient(base_url=hosted.server.url, headers=bearer(LLM)) as client:
        for _ in range(5):
            answer = await client.post("/v1/chat/completions", json=body)
            assert answer.json()["choices"][0]["message"]["content"] == "Hello from the offline provider."
    await hosted.stop()
    store.close()
    assert calls_in(tmp_path / "kb.db") == [("canned", "apps")] * 5


class LastWordsServer:
    """Stands in for the API server: a job finishing as the server stops leaves one more record."""

    def __init__(self, records: DeferredRecords) -> None:
        self.records = records

    async def stop(self) -> None:
        self.records(CallRecord("canned", "m", "chat", Usage(1, 1), 0.0, 0.01, tenant="apps", ts=1.0))


async def test_records_still_pending_when_the_server_stops_are_written_before_stop_returns(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    records = DeferredRecords(store.record_llm_call)
    hosted = HostedApi(LastWordsServer(records), None, records)  # type: ignore[arg-type]
    await hosted.stop()
    assert records.pending == 0
    store.close()  # at once, as `mapekd gateway` closes it: no turn of the loop in between
    assert calls_in(tmp_path / "kb.db") == [("canned", "apps")]
