"""`webhook`: an HTTP POST of the decision as JSON (paging, chat-ops, a remote runbook)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from mapekd.config.actions import WebhookActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.shared_http import SharedHttp


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

    async def post(self, payload: dict[str, Any]) -> ExecResult:
        started = time.monotonic()
        headers = {k: v.get_secret_value() for k, v in self.config.headers.items()}
        try:
            response = await self.http.client.post(
                str(self.config.url), json=payload, headers=headers, timeout=self.config.timeout
            )
        except httpx.TimeoutException:
            return ExecResult("timeout", _ms(started), error="webhook timed out")
        except httpx.HTTPError as exc:
            return ExecResult("failed", _ms(started), error=f"{type(exc).__name__}: {exc}")
        ok = response.is_success
        return ExecResult(
            "succeeded" if ok else "failed",
            _ms(started),
            exit_code=response.status_code,
            output_tail=response.text[-500:],
            error=None if ok else f"HTTP {response.status_code}",
        )


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
