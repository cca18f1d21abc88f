"""The NoticeSink seam: where notices to people are delivered (a webhook action serves as one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from mapekd.config.actions import WebhookActionConfig
    from mapekd.execute.base import ExecResult


@runtime_checkable
class NoticeSink(Protocol):
    """An action that can also carry a notice: its config says the payload's format."""

    config: WebhookActionConfig

    async def post(self, payload: dict[str, Any]) -> ExecResult:
        """Deliver one payload; a failure is a result, never an exception."""
        ...
