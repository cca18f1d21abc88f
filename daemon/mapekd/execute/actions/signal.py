"""`signal`: a signal to the processes a named process check observed, and no others.

The processes are the ones the check matched at its last collection, each held by a pidfd opened
when it was observed (see monitor.identity): a pid reused in between cannot redirect the signal.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from mapekd.config.actions import SignalActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.monitor.identity import ObservedProcess, send_signal

ObservedLookup = Callable[[str], list[ObservedProcess]]
"""Given a process check's name, handles on the processes it observed (the caller closes them)."""


class SignalAction:
    def __init__(self, config: SignalActionConfig, *, observed_of: ObservedLookup) -> None:
        self.config = config
        self.name = config.name
        self.observed_of = observed_of

    def applies_to(self, target: str) -> bool:
        return True

    def effect_of(self, target: str) -> str:
        return f"{self.name}@check:{self.config.check}"  # the same processes, whatever the target

    async def run(self, request: ActionRequest) -> ExecResult:
        started = time.monotonic()
        handles = self.observed_of(self.config.check)
        try:
            if not handles:
                return ExecResult(
                    "failed", _ms(started), error=f"check {self.config.check} observed no process"
                )
            sent, errors = _deliver(handles, signal.Signals[self.config.signal])
        finally:
            for handle in handles:
                handle.close()
        tail = f"sent {self.config.signal} to {sent}" + (f"; {errors}" if errors else "")
        return ExecResult(
            "succeeded" if sent else "failed",
            _ms(started),
            output_tail=tail,
            error=None if sent else "; ".join(errors),
        )


def _deliver(handles: list[ObservedProcess], sig: signal.Signals) -> tuple[list[int], list[str]]:
    sent, errors = [], []
    for handle in handles:
        try:
            send_signal(handle, sig)
            sent.append(handle.pid)
        except ProcessLookupError:
            errors.append(f"{handle.pid}: gone since it was observed")
        except PermissionError:
            errors.append(f"{handle.pid}: permission denied")
    return sent, errors


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
