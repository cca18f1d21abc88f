"""An HTTP check's last failing probe: status, latency, error and the start of its body.

The HTTP check keeps that probe in memory (monitor.http.ProbeFailure); one from before the
incident window is stale and not shown. The first item says how the probe failed, the body's
lines follow (its first EXCERPT_BYTES, split into lines, blank ones left out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest

if TYPE_CHECKING:  # the check's module loads httpx: a daemon without HTTP checks never does
    from mapekd.monitor.http import ProbeFailure


@runtime_checkable
class RemembersFailure(Protocol):
    """What the gatherer needs of the check: its last failing probe."""

    @property
    def last_failure(self) -> ProbeFailure | None: ...


class HttpGatherer:
    kind: EvidenceKind = "http"

    def __init__(self, check: RemembersFailure) -> None:
        self.check = check

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        failure = self.check.last_failure
        if failure is None or failure.at < request.since:
            return []
        head = EvidenceItem("http", failure.url, summary(failure), failure.at)
        body = [
            EvidenceItem("http", failure.url, line.strip(), failure.at)
            for line in failure.excerpt.splitlines()
        ]
        body = [item for item in body if item.text]
        room = request.max_bytes - len(head.text.encode())
        if room <= 0 or request.max_items < 1:
            return keep_newest([head], request)
        first_lines = _first_fitting(body, request.max_items - 1, room)
        return [head, *first_lines]


def summary(failure: ProbeFailure) -> str:
    """`status 503 after 12.5 ms` or `no answer after 5000.0 ms: ConnectError: ...`."""
    if failure.status is None:
        return f"no answer after {failure.latency_ms} ms: {failure.error or 'unknown error'}"
    unmatched = ", body_regex did not match" if failure.body_match is False else ""
    return f"status {failure.status} after {failure.latency_ms} ms{unmatched}"


def _first_fitting(items: list[EvidenceItem], max_items: int, max_bytes: int) -> list[EvidenceItem]:
    kept: list[EvidenceItem] = []
    for item in items[: max(0, max_items)]:
        size = len(item.text.encode("utf-8", "replace"))
        if size > max_bytes:
            break
        kept.append(item)
        max_bytes -= size
    return kept
