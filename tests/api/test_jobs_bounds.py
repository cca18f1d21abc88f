"""The job queue cannot fill the disk or poison itself: every forwarded field counts against
max_prompt_chars, requests and results are capped, pending jobs are capped per token, finished
jobs are pruned while the API runs, and a job is given up after max_attempts runs."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from mapekd.knowledge.store import SqliteStore
from tests.api.harness import LLM, OTHER_LLM, Api, bearer
from tests.api.test_jobs import SLOW, poll, until

HELLO = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def padded(chars: int) -> dict[str, Any]:
    """A short prompt with `chars` characters hidden in a tool's description."""
    tool = {"type": "function", "function": {"name": "pad", "description": "p" * chars}}
    return {**HELLO, "tools": [tool]}


def rows(db: Path, where: str = "1") -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}").fetchone()[0])


async def test_tools_and_other_fields_count_against_max_prompt_chars(tmp_path: Path) -> None:
    limits = {"max_prompt_chars": 1000, "blocked_patterns": ["forbidden"]}
    async with Api(tmp_path, api={"limits": limits}) as api:
        refused = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=padded(2000))
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "prompt_too_long"
        schema = {"type": "json_schema", "json_schema": {"schema": {"description": "x" * 2000}}}
        refused = await api.client.post(
            "/v1/chat/jobs", headers=bearer(LLM), json={**HELLO, "response_format": schema}
        )
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "prompt_too_long"
        hidden = {**HELLO, "tools": [{"type": "function", "function": {"name": "forbidden"}}]}
        refused = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=hidden)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "blocked_content"
        accepted = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=padded(500))
        assert accepted.status_code == 202
    assert rows(tmp_path / "kb.db") == 1, "only the accepted job was stored"


async def test_a_flood_of_padded_jobs_keeps_the_base_small_and_is_pruned_while_running(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kb.db"
    jobs = {"max_queued": 20, "max_queued_per_token": 20, "max_finished": 20, "prune_every": "200ms"}
    async with Api(tmp_path, api={"jobs": jobs}) as api:
        ids = []
        for _ in range(300):
            while True:  # a full queue answers 429: the client waits for the workers, as told
                response = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=padded(30_000))
                if response.status_code == 202:
                    break
                assert response.status_code == 429, response.text
                await asyncio.sleep(0.01)
            ids.append(response.json()["id"])
        await until(lambda: rows(db, "state IN ('queued', 'running')") == 0, "the flood to be worked off")
        await until(lambda: rows(db) == 20, "finished jobs pruned to max_finished while running")
        assert (await api.client.get(f"/v1/chat/jobs/{ids[0]}", headers=bearer(LLM))).status_code == 404
        assert (await poll(api, ids[-1]))["status"] == "completed", "the newest are kept"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # 300 requests of 30 kB are 9 MB; at most 20 of them are ever stored at once.
    size = db.stat().st_size
    assert size < 2_500_000, f"the base grew to {size} bytes"


async def test_finished_jobs_are_deleted_after_the_retention_while_running(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    async with Api(tmp_path, api={"jobs": {"retention": "1s", "prune_every": "200ms"}}) as api:
        accepted = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=HELLO)
        assert (await poll(api, accepted.json()["id"]))["status"] == "completed"
        await until(lambda: rows(db) == 0, "the finished job deleted once older than the retention")


async def test_per_token_quota(tmp_path: Path) -> None:
    jobs = {"max_queued": 10, "max_queued_per_token": 2, "workers": 1}
    async with Api(tmp_path, api={"jobs": jobs}) as api:
        codes = [(await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=SLOW)) for _ in range(3)]
        assert [r.status_code for r in codes] == [202, 202, 429]
        assert codes[2].json()["error"]["code"] == "token_quota" and codes[2].headers["retry-after"]
        other = await api.client.post("/v1/chat/jobs", headers=bearer(OTHER_LLM), json=SLOW)
        assert other.status_code == 202, "another token still gets in"


def insert(db: Path, job_id: str, state: str, attempts: int, request: dict[str, Any], at: float) -> None:
    """A row as a process that crashed mid-run leaves it (migrations applied by SqliteStore)."""
    SqliteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO jobs (id, state, owner, request, created_at, started_at, attempts) "
            "VALUES (?, ?, 'apps', ?, ?, ?, ?)",
            (job_id, state, json.dumps(request), at, at if state == "running" else None, attempts),
        )


async def test_a_job_whose_attempts_are_spent_is_not_claimed_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    now = time.time()
    insert(db, "job-crasher", "running", 3, HELLO, now - 2)
    insert(db, "job-interrupted", "running", 1, HELLO, now - 1)
    async with Api(tmp_path, api={"jobs": {"max_attempts": 3, "workers": 1}}, db=db) as api:
        crasher = await poll(api, "job-crasher")
        assert crasher["status"] == "failed" and crasher["attempts"] == 3
        assert crasher["error"]["message"] == "gave up after 3 attempts"
        interrupted = await poll(api, "job-interrupted")
        assert interrupted["status"] == "completed" and interrupted["attempts"] == 2


async def test_a_worker_outlives_a_job_it_cannot_even_read(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    insert(db, "job-unreadable", "queued", 0, {"messages": []}, time.time() - 1)
    async with Api(tmp_path, api={"jobs": {"workers": 1}}, db=db) as api:
        bad = await poll(api, "job-unreadable")
        assert bad["status"] == "failed" and "ValidationError" in bad["error"]["message"]
        accepted = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=HELLO)
        assert (await poll(api, accepted.json()["id"]))["status"] == "completed"


async def test_request_and_result_are_capped(tmp_path: Path) -> None:
    jobs = {"max_request_bytes": 1000, "max_result_bytes": 100}
    async with Api(tmp_path, api={"jobs": jobs}) as api:
        big = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=padded(2000))
        assert big.status_code == 413
        accepted = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=HELLO)
        job = await poll(api, accepted.json()["id"])
        assert (
            job["status"] == "failed" and job["error"]["code"] == "result_too_large" and job["result"] is None
        )


async def test_padded_tools_do_not_pass_the_prompt_limit_of_direct_calls_either(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"limits": {"max_prompt_chars": 1000}}) as api:
        refused = await api.client.post("/v1/chat/completions", headers=bearer(LLM), json=padded(2000))
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "prompt_too_long"
