"""`signal`: a signal to the processes a named process check currently matches, and no others."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Awaitable, Callable

from mapekd.config.actions import SignalActionConfig
from mapekd.execute.base import ActionRequest, ExecResult

PidLookup = Callable[[str], Awaitable[list[int]]]
"""Given a process check's name, the pids it matches right now."""


class SignalAction:
    def __init__(self, config: SignalActionConfig, *, pids_of: PidLookup) -> None:
        self.config = config
        self.name = config.name
        self.pids_of = pids_of

    def applies_to(self, target: str) -> bool:
        return True

    async def run(self, request: ActionRequest) -> ExecResult:
        started = time.monotonic()
        pids = [p for p in await self.pids_of(self.config.check) if p != os.getpid()]
        if not pids:
            return ExecResult("failed", _ms(started), error=f"check {self.config.check} matches no process")
        sent, errors = [], []
        for pid in pids:
            try:
                os.kill(pid, signal.Signals[self.config.signal])
                sent.append(pid)
            except ProcessLookupError:
                errors.append(f"{pid}: gone")
            except PermissionError:
                errors.append(f"{pid}: permission denied")
        tail = f"sent {self.config.signal} to {sent}" + (f"; {errors}" if errors else "")
        return ExecResult(
            "succeeded" if sent else "failed",
            _ms(started),
            output_tail=tail,
            error=None if sent else "; ".join(errors),
        )


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
