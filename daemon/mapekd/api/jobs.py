"""A bounded queue for long chat requests: POST /v1/chat/jobs answers 202 with an id at once,
workers run the jobs through the gateway, GET /v1/chat/jobs/{id} tells how it went.

The queue lives in SQLite (knowledge.jobs), so an accepted job survives a restart: jobs left
running when the process stopped are queued again when the API starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from mapekd.api.errors import from_error
from mapekd.api.openai_wire import ChatBody, completion_json
from mapekd.config.api import JobsConfig
from mapekd.errors import MapekdError, StoreError
from mapekd.knowledge.base import Store
from mapekd.knowledge.jobs import JobStore
from mapekd.llm.gateway import Gateway

log = logging.getLogger("mapekd.api.jobs")
STORE_RETRY_S = 1.0


class JobRunner:
    def __init__(self, store: Store, gateways: Callable[[], Gateway], config: JobsConfig) -> None:
        self.jobs = JobStore(store.conn)
        self.gateways = gateways
        self.config = config
        self._wake = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []

    def submit(self, owner: str, body: ChatBody, provider: str | None) -> str | None:
        """The new job's id, or None when `max_queued` jobs are already pending."""
        job_id = "job-" + uuid.uuid4().hex
        request = body.model_dump(exclude_none=True)
        if not self.jobs.add(job_id, owner, request, provider, self.config.max_queued):
            return None
        self._wake.set()
        return job_id

    def get(self, job_id: str, owner: str) -> dict[str, Any] | None:
        """The job if it exists and belongs to `owner` (another token's job is not found)."""
        job = self.jobs.get(job_id)
        if job is None or job.pop("owner") != owner:
            return None
        return job

    async def start(self) -> None:
        try:
            requeued = self.jobs.requeue_unfinished()
            self.jobs.prune(time.time() - self.config.retention)
        except StoreError as exc:  # the workers retry; the rest of the API can still serve
            log.error("cannot prepare the job queue: %s", exc)
            requeued = 0
        if requeued:
            log.warning("re-queued %d job(s) interrupted by a stop", requeued)
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.config.workers)]

    async def stop(self) -> None:
        """Running jobs are cancelled and stay `running` in the database: queued again at start."""
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    async def _work(self) -> None:
        while True:
            self._wake.clear()  # before claiming: a job submitted after the claim sets it again
            try:
                job = self.jobs.claim()
            except StoreError as exc:
                log.error("cannot claim a job: %s", exc)
                await asyncio.sleep(STORE_RETRY_S)
                continue
            if job is None:
                await self._wake.wait()
                continue
            await self._run(job)

    async def _run(self, job: dict[str, Any]) -> None:
        body = ChatBody.model_validate(job["request"])
        request = body.to_request(tenant=job["owner"])
        try:
            completion = await self.gateways().chat(request, provider=job["provider"])
        except MapekdError as exc:
            self.jobs.fail(job["id"], from_error(exc).body()["error"])
            return
        except Exception as exc:  # a job must never kill its worker
            log.exception("job %s failed", job["id"])
            self.jobs.fail(job["id"], {"message": f"{type(exc).__name__}: {exc}", "type": "server_error"})
            return
        result = completion_json(completion, job["id"], int(time.time()))
        result["provider"] = completion.provider
        self.jobs.finish(job["id"], result)
