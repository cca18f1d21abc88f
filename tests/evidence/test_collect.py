"""The collector: the check's gatherers run off the loop, bounded in time, items and bytes, and
everything they read passes the one redaction point; a gatherer that raises or hangs costs only
its own evidence, and the loop goes on meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mapekd.config.evidence import EvidenceConfig
from mapekd.config.settings import Settings
from mapekd.credentials import Scrubber
from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest, Gatherer
from mapekd.evidence.collect import Collector

SECRET = "canary-db-pass-31337"


@dataclass
class FileTail:
    """Reads every line of a real file: a talkative source, which the collector bounds."""

    path: Path
    kind: EvidenceKind = "log"

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        lines = self.path.read_text().splitlines()
        return [
            EvidenceItem("log", str(self.path), line, request.opened_at + i) for i, line in enumerate(lines)
        ]


@dataclass
class Broken:
    kind: EvidenceKind = "journal"

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        raise OSError("journal files unreadable")


@dataclass
class Hung:
    release: threading.Event
    kind: EvidenceKind = "verdict"
    started: threading.Event = field(default_factory=threading.Event)

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        self.started.set()
        self.release.wait(60)
        return [EvidenceItem("verdict", "unit", "too late")]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # the hung gatherers' threads end with the test


def settings() -> Settings:
    return Settings.model_validate(
        {
            "checks": [
                {"name": "db", "type": "http", "url": f"http://app:{SECRET}@127.0.0.1:9/health"},
            ]
        }
    )


def collector(gatherers: list[Gatherer], **bounds: object) -> Collector:
    config = EvidenceConfig.model_validate({"deadline": "1s", **bounds})
    return Collector(config, {"web": gatherers}, Scrubber.from_settings(settings()))


def request_for(c: Collector, check: str = "web") -> EvidenceRequest:
    return c.request(7, check, "process:web", time.time(), {"alive": False})


def test_log_lines_are_read_redacted_and_oldest_first(tmp_path: Path) -> None:
    log = tmp_path / "web.log"
    log.write_text(
        "starting\n"
        f"connecting to postgres://app:{SECRET}@db:5432/web\n"
        "login with password=hunter2-canary failed\n"
        "FATAL: connection refused\n"
    )
    c = collector([FileTail(log)])
    items = asyncio.run(c.collect(request_for(c)))
    texts = [i.text for i in items]
    assert texts[0] == "starting" and texts[-1] == "FATAL: connection refused"
    assert len(texts) == 4
    joined = "\n".join(texts)
    assert SECRET not in joined and "hunter2-canary" not in joined
    assert "[REDACTED]" in texts[1] and "[REDACTED]" in texts[2]
    assert all(i.source == str(log) for i in items)


def test_a_check_without_gatherers_has_no_evidence(tmp_path: Path) -> None:
    c = collector([FileTail(tmp_path / "missing.log")])
    assert asyncio.run(c.collect(request_for(c, check="other"))) == ()


def test_a_gatherer_that_raises_loses_only_its_own_evidence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "web.log"
    log.write_text("out of memory\n")
    c = collector([Broken(), FileTail(log)])
    items = asyncio.run(c.collect(request_for(c)))
    assert [i.text for i in items] == ["out of memory"]
    assert any("journal files unreadable" in str(getattr(r, "event", "")) for r in caplog.records)


def test_a_hung_gatherer_is_abandoned_at_the_deadline_and_the_loop_runs_on(
    tmp_path: Path, release: threading.Event
) -> None:
    log = tmp_path / "web.log"
    log.write_text("segfault at 0x0\n")
    hung = Hung(release)
    c = collector([hung, FileTail(log)], deadline="0.5s")

    async def scenario() -> tuple[tuple[EvidenceItem, ...], int, float]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        beat = asyncio.create_task(ticker())
        started = time.monotonic()
        items = await c.collect(request_for(c))
        elapsed = time.monotonic() - started
        beat.cancel()
        return items, ticks, elapsed

    items, ticks, elapsed = asyncio.run(scenario())
    assert hung.started.is_set()
    assert [i.text for i in items] == ["segfault at 0x0"]
    assert 0.4 <= elapsed < 5.0  # the deadline, with a generous margin for a loaded machine
    assert ticks >= 5  # the loop went on while the gatherer hung


def test_items_lines_and_bytes_are_bounded_newest_kept(tmp_path: Path) -> None:
    log = tmp_path / "web.log"
    log.write_text("".join(f"line {n} " + "x" * 300 + "\n" for n in range(50)))
    c = collector([FileTail(log)], max_items=10, max_line=100, max_bytes=4096)
    items = asyncio.run(c.collect(request_for(c)))
    assert len(items) == 10
    assert all(len(i.text) == 100 for i in items)
    assert items[-1].text.startswith("line 49 ") and items[0].text.startswith("line 40 ")
    small = collector([FileTail(log)], max_items=1000, max_line=100, max_bytes=1024)
    kept = asyncio.run(small.collect(request_for(small)))
    assert sum(len(i.text) + len(i.source) for i in kept) <= 1024
    assert kept[-1].text.startswith("line 49 ")
