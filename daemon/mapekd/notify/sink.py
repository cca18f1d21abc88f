"""The NoticeSink seam: where notices to people are delivered (webhook and email actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from mapekd.execute.base import ExecResult
    from mapekd.notify.notice import Notice


@runtime_checkable
class NoticeSink(Protocol):
    """An action that can also carry a notice, in the form its medium wants."""

    async def deliver(self, notice: Notice) -> ExecResult:
        """Deliver one notice once; a failure is a result, never an exception."""
        ...
