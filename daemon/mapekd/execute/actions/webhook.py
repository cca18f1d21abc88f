"""`webhook`: an HTTP POST of the decision as JSON (paging, chat-ops, a remote runbook).

The answer is read with a bound: at most READ_LIMIT bytes, of which only the last TAIL_BYTES are
kept for the execution's output tail; a longer answer is cut there (the connection is closed),
and the whole exchange is bounded by the action's `timeout`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from mapekd.config.actions import WebhookActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.http_caps import read_tail
from mapekd.notify.notice import Notice, json_payload, slack_payload
from mapekd.shared_http import SharedHttp

READ_LIMIT = 1024 * 1024
"""Bytes of an answer read at most: a hook's answer is a status and a few words."""
TAIL_BYTES = 2048
"""Bytes kept while reading; the output tail is the last TAIL_CHARS characters of them."""
TAIL_CHARS = 500


class WebhookAction:
    def __init__(self, config: WebhookActionConfig, *, http: SharedHttp) -> None:
        self.config = config
        self.name = config.name
        self.http = http

    def applies_to(self, target: str) -> bool:
        return True

    def effect_of(self, target: str) -> str:
        return self.name

    async def run(self, request: ActionRequest) -> ExecResult:
        return await self.post(
            {
                "incident": request.incident_id,
                "signature": request.signature,
                "target": request.target,
                "action": self.name,
                "params": request.params,
            }
        )

    async def deliver(self, notice: Notice) -> ExecResult:
        """A notice as this hook's `format` wants it: generic JSON or a Slack message."""
        payload = (
            slack_payload(notice, self.name)
            if self.config.format == "slack"
            else json_payload(notice, self.name)
        )
        return await self.post(payload)

    async def post(self, payload: dict[str, Any]) -> ExecResult:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.config.timeout):
                status, tail, cut = await self._exchange(payload)
        except (TimeoutError, httpx.TimeoutException):
            return ExecResult("timeout", _ms(started), error="webhook timed out")
        except httpx.HTTPError as exc:
            return ExecResult("failed", _ms(started), error=f"{type(exc).__name__}: {exc}")
        ok = 200 <= status < 300
        text = tail.decode("utf-8", errors="replace")[-TAIL_CHARS:]
        return ExecResult(
            "succeeded" if ok else "failed",
            _ms(started),
            exit_code=status,
            output_tail=f"[answer cut after {READ_LIMIT} bytes] {text}" if cut else text,
            error=None if ok else f"HTTP {status}",
        )

    async def _exchange(self, payload: dict[str, Any]) -> tuple[int, bytes, bool]:
        """The answer's status, the tail of its body and whether the body was cut."""
        headers = {k: v.get_secret_value() for k, v in self.config.headers.items()}
        async with self.http.client.stream(
            "POST", str(self.config.url), json=payload, headers=headers, timeout=self.config.timeout
        ) as response:
            tail, cut = await read_tail(response, READ_LIMIT, TAIL_BYTES)
            return response.status_code, tail, cut


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
