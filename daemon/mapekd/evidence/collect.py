"""The collector: at incident open, the incident's check's gatherers run off the event loop,
bounded, and what they return passes the one redaction point before anything keeps it.

Bounds: all gatherers of one incident together get `evidence.deadline`; one that is still
reading then is abandoned (its thread finishes on its own, its answer is dropped) and so is one
that raises: either is logged and degrades to "no evidence from it". Each line is cut to
`max_line` characters, then the newest `max_items` lines, within `max_bytes`, are kept. Gatherers
run in daemon threads, at most `MAX_RUNNING` at once across incidents, so a gatherer that hangs
forever costs one thread and never delays the daemon's exit or another incident's healing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from mapekd.config.evidence import EvidenceConfig
from mapekd.credentials import Scrubber
from mapekd.evidence.base import EvidenceItem, EvidenceRequest, Gatherer

log = logging.getLogger("mapekd.evidence")
MAX_RUNNING = 16
"""Gatherer threads alive at once (hung ones included); past it a gatherer is not started."""
Answer = list[EvidenceItem] | Exception


class Collector:
    def __init__(
        self, config: EvidenceConfig, gatherers: Mapping[str, Sequence[Gatherer]], scrub: Scrubber
    ) -> None:
        self.config = config
        self.gatherers = gatherers
        self.scrub = scrub
        self._slots = threading.BoundedSemaphore(MAX_RUNNING)

    def request(
        self, incident_id: int, check: str, target: str, opened_at: float, facts: dict[str, object]
    ) -> EvidenceRequest:
        cfg = self.config
        return EvidenceRequest(
            incident_id,
            check,
            target,
            opened_at,
            since=opened_at - cfg.lead,
            deadline_s=cfg.deadline,
            max_items=cfg.max_items,
            max_bytes=cfg.max_bytes,
            facts=facts,
        )

    async def collect(self, request: EvidenceRequest) -> tuple[EvidenceItem, ...]:
        """What the check's gatherers tell, redacted and bounded, oldest first."""
        gatherers = list(self.gatherers.get(request.check, ()))
        if not gatherers:
            return ()
        loop = asyncio.get_running_loop()
        answers = [self._start(loop, gatherer, request) for gatherer in gatherers]
        waiting = [a for a in answers if a is not None]
        if waiting:
            await asyncio.wait(waiting, timeout=self.config.deadline)
        items: list[EvidenceItem] = []
        for gatherer, answer in zip(gatherers, answers, strict=True):
            items += self._items_of(gatherer, answer, request)
        return bound(items, self.config, self.scrub)

    def _start(
        self, loop: asyncio.AbstractEventLoop, gatherer: Gatherer, request: EvidenceRequest
    ) -> asyncio.Future[Answer] | None:
        if not self._slots.acquire(blocking=False):
            return None
        answer: asyncio.Future[Answer] = loop.create_future()

        def deliver(value: Answer) -> None:
            if not answer.done():
                answer.set_result(value)

        def run() -> None:
            try:
                value: Answer = list(gatherer.gather(request))
            except Exception as exc:  # reported on the loop, never raised in this thread
                value = exc
            finally:
                self._slots.release()
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(deliver, value)

        name = f"evidence-{gatherer.kind}-{request.incident_id}"
        threading.Thread(target=run, name=name, daemon=True).start()
        return answer

    def _items_of(
        self, gatherer: Gatherer, answer: asyncio.Future[Answer] | None, request: EvidenceRequest
    ) -> list[EvidenceItem]:
        if answer is None:
            return _none(gatherer, request, "too many gatherers still running")
        if not answer.done():
            answer.cancel()
            return _none(gatherer, request, f"no answer within {self.config.deadline:g} s")
        value = answer.result()
        if isinstance(value, Exception):
            return _none(gatherer, request, f"{type(value).__name__}: {value}")
        return [item for item in value if isinstance(item, EvidenceItem)]


def bound(
    items: Sequence[EvidenceItem], config: EvidenceConfig, scrub: Callable[[str], str]
) -> tuple[EvidenceItem, ...]:
    """Each text cut to `max_line` and redacted; oldest first (items without a time keep their
    place after the timed ones); then the newest that fit `max_items` and `max_bytes`."""
    cleaned = [_cleaned(item, config.max_line, scrub) for item in items]
    ordered = sorted(cleaned, key=lambda item: item.at if item.at is not None else float("inf"))
    kept: list[EvidenceItem] = []
    size = 0
    for item in reversed(ordered):
        cost = len(item.text.encode()) + len(item.source.encode())
        if len(kept) >= config.max_items or size + cost > config.max_bytes:
            break
        kept.append(item)
        size += cost
    return tuple(reversed(kept))


def _cleaned(item: EvidenceItem, max_line: int, scrub: Callable[[str], str]) -> EvidenceItem:
    # Redacted before the cut, so that a secret at the edge is not kept in part; the text is
    # first cut to twice the limit, which keeps the scrubber's work bounded and leaves whole
    # every secret shorter than a line that starts within the kept part.
    text = item.text.replace("\x00", "").rstrip("\r\n")
    source = item.source[: 2 * max_line]
    return EvidenceItem(item.kind, scrub(source)[:max_line], scrub(text[: 2 * max_line])[:max_line], item.at)


def _none(gatherer: Gatherer, request: EvidenceRequest, why: str) -> list[EvidenceItem]:
    log.warning(
        "no evidence from a gatherer",
        extra={
            "event": {
                "event": "evidence_missing",
                "incident": request.incident_id,
                "check": request.check,
                "gatherer": gatherer.kind,
                "reason": why,
            }
        },
    )
    return []
