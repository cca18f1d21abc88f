"""A bounded queue for long chat requests: POST /v1/chat/jobs answers 202 with an id at once,
workers run the jobs through the gateway, GET /v1/chat/jobs/{id} tells how it went.

The queue lives in SQLite (knowledge.jobs), so an accepted job survives a restart: jobs left
running when the process stopped are queued again when the API starts, up to `max_attempts`
runs. What it stores is bounded (request and result bytes, pending jobs in all and per token,
finished jobs by age and count, pruned every `prune_every` while the API runs), so a flood of
jobs cannot fill the disk. A worker survives anything a job does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from mapekd.api.errors import ApiError, from_error
from mapekd.api.openai_wire import ChatBody, completion_json
from mapekd.config.api import JobsConfig
from mapekd.errors import MapekdError, StoreError
from mapekd.knowledge.base import Store
from mapekd.knowledge.jobs import JobStore
from mapekd.llm.gateway import Gateway

log = logging.getLogger("mapekd.api.jobs")
STORE_RETRY_S = 1.0
MAX_ERROR_CHARS = 2000


class JobRunner:
    def __init__(self, store: Store, gateways: Callable[[], Gateway], config: JobsConfig) -> None:
        self.jobs = JobStore(store.conn, max_attempts=config.max_attempts)
        self.gateways = gateways
        self.config = config
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, owner: str, body: ChatBody, provider: str | None) -> str:
        """The new job's id; ApiError 413 when the request is too large to keep, 429 when the
        queue or `owner`'s share of it is full."""
        request = json.dumps(body.model_dump(exclude_none=True), ensure_ascii=False)
        size, limit = len(request.encode()), self.config.max_request_bytes
        if size > limit:
            raise ApiError(
                413, f"the job's request has {size} bytes; at most {limit} are kept", code="body_too_large"
            )
        job_id = "job-" + uuid.uuid4().hex
        refusal = self.jobs.add(
            job_id,
            owner,
            request,
            provider,
            limit=self.config.max_queued,
            per_owner=self.config.max_queued_per_token,
        )
        if refusal == "queue_full":
            raise _busy(f"the job queue is full ({self.config.max_queued} pending)", refusal)
        if refusal == "token_quota":
            raise _busy(f"token {owner!r} has {self.config.max_queued_per_token} jobs pending", refusal)
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
            requeued, given_up = self.jobs.requeue_unfinished()
        except StoreError as exc:  # the workers retry; the rest of the API can still serve
            log.error("cannot prepare the job queue: %s", exc)
            requeued = given_up = 0
        if requeued:
            log.warning("re-queued %d job(s) interrupted by a stop", requeued)
        if given_up:
            log.error("gave up %d job(s) after %d attempts each", given_up, self.config.max_attempts)
        self.prune()
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.config.workers)]
        self._tasks.append(asyncio.create_task(self._prune_periodically()))

    async def stop(self) -> None:
        """Running jobs are cancelled and queued again (that run does not count as an attempt)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def prune(self) -> None:
        try:
            deleted = self.jobs.prune(time.time() - self.config.retention, self.config.max_finished)
        except StoreError as exc:  # tried again at the next period
            log.error("cannot prune finished jobs: %s", exc)
            return
        if deleted:
            log.info("pruned %d finished job(s)", deleted)

    async def _prune_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.config.prune_every)
            self.prune()

    async def _work(self) -> None:
        while True:
            try:
                await self._next()
            except Exception:  # a worker must outlive anything a job or the store does
                log.exception("job worker: unexpected error; carrying on")
                await asyncio.sleep(STORE_RETRY_S)

    async def _next(self) -> None:
        self._wake.clear()  # before claiming: a job submitted after the claim sets it again
        try:
            job = self.jobs.claim()
        except StoreError as exc:
            log.error("cannot claim a job: %s", exc)
            await asyncio.sleep(STORE_RETRY_S)
            return
        if job is None:
            await self._wake.wait()
            return
        await self._run(job)

    async def _run(self, job: dict[str, Any]) -> None:
        try:
            body = ChatBody.model_validate_json(job["request"])
            completion = await self.gateways().chat(
                body.to_request(tenant=job["owner"]), provider=job["provider"]
            )
        except asyncio.CancelledError:  # a clean stop: the job runs again after the next start
            with contextlib.suppress(StoreError):
                self.jobs.release(job["id"])
            raise
        except MapekdError as exc:
            error = from_error(exc).body()["error"]
        except Exception as exc:  # a job must never kill its worker
            log.exception("job %s failed", job["id"])
            error = {"message": f"{type(exc).__name__}: {exc}", "type": "server_error"}
        else:
            result = completion_json(completion, job["id"], int(time.time()))
            result["provider"] = completion.provider
            text = json.dumps(result, ensure_ascii=False)
            if len(text.encode()) <= self.config.max_result_bytes:
                self.jobs.finish(job["id"], text)
                return
            error = {
                "message": f"the result has {len(text.encode())} bytes; at most "
                f"{self.config.max_result_bytes} are kept (api.jobs.max_result_bytes)",
                "type": "server_error",
                "code": "result_too_large",
            }
        self.jobs.fail(job["id"], {**error, "message": str(error["message"])[:MAX_ERROR_CHARS]})


def _busy(message: str, code: str) -> ApiError:
    return ApiError(429, message, code=code, headers={"retry-after": "5"})
