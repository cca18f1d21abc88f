"""The job queue: 202 with an id, a result later, bounded, per-token, and surviving a restart."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.api.harness import LLM, OTHER_LLM, Api, bearer

SLOW = {"model": "m", "messages": [{"role": "user", "content": "slow job please"}]}


async def poll(api: Api, job_id: str, token: str = LLM, timeout: float = 30.0) -> dict[str, Any]:
    """Wait (without blocking the server, which shares this event loop) until the job finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await api.client.get(f"/v1/chat/jobs/{job_id}", headers=bearer(token))).json()
        if job["status"] in ("completed", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


async def test_submit_then_result(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
        accepted = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=body)
        assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
        job_id = accepted.json()["id"]
        assert accepted.headers["location"] == f"/v1/chat/jobs/{job_id}"
        job = await poll(api, job_id)
        assert job["status"] == "completed" and job["provider"] is None
        assert job["result"]["choices"][0]["message"]["content"] == "Hello from the offline provider."
        assert job["result"]["provider"] == "canned" and job["finished_at"] >= job["created_at"]
        other = await api.client.get(f"/v1/chat/jobs/{job_id}", headers=bearer(OTHER_LLM))
        assert other.status_code == 404, "another token's job is not visible"


async def test_failed_job_keeps_its_error(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        body = {"messages": [{"role": "user", "content": "hello"}]}
        accepted = await api.client.post(
            "/v1/chat/jobs", headers={**bearer(LLM), "X-LLM-Provider": "missing"}, json=body
        )
        job = await poll(api, accepted.json()["id"])
        assert job["status"] == "failed" and job["error"]["type"] == "not_found_error"


async def test_queue_is_bounded_and_refuses_streams(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"jobs": {"max_queued": 2, "workers": 1}}) as api:
        codes = [
            (await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=SLOW)).status_code
            for _ in range(3)
        ]
        assert codes == [202, 202, 429]
        stream = await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json={**SLOW, "stream": True})
        assert stream.status_code == 400


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, state FROM jobs").fetchall())


async def test_accepted_jobs_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    config = {"jobs": {"workers": 1}}
    async with Api(tmp_path, api=config, db=db) as api:
        ids = [
            (await api.client.post("/v1/chat/jobs", headers=bearer(LLM), json=SLOW)).json()["id"]
            for _ in range(2)
        ]
        await until(lambda: states(db).get(ids[0]) == "running", "first job running")
    # Stopped mid-queue: the running job (its answer takes 1.5s) was put back in the queue, and
    # that interrupted run does not count as an attempt.
    assert states(db) == {ids[0]: "queued", ids[1]: "queued"}

    async with Api(tmp_path, api=config, db=db) as api:
        for job_id in ids:
            job = await poll(api, job_id)
            assert job["status"] == "completed", job
            assert job["result"]["choices"][0]["message"]["content"] == "done slowly"
        assert (await poll(api, ids[0]))["attempts"] == 1


async def test_unknown_job(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        response = await api.client.get("/v1/chat/jobs/job-nope", headers=bearer(LLM))
        assert response.status_code == 404 and isinstance(response, httpx.Response)
