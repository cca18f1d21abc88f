"""Call records written after the answer has gone out: deferred to the loop's next turn, in
order, none lost to a failing write or to shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mapekd.api.records import DeferredRecords
from mapekd.llm.types import CallRecord, Usage


def record(n: int) -> CallRecord:
    return CallRecord("up", "m", "chat", Usage(n, 1), 0.0, 0.001, ts=float(n))


async def test_a_record_is_written_on_the_loops_next_turn_not_during_the_call() -> None:
    written: list[CallRecord] = []
    sink = DeferredRecords(written.append)
    sink(record(1))
    sink(record(2))
    assert (written, sink.pending) == ([], 2)
    await asyncio.sleep(0)
    assert written == [record(1), record(2)]
    assert sink.pending == 0


def test_without_a_running_loop_a_record_is_written_at_once() -> None:
    written: list[CallRecord] = []
    DeferredRecords(written.append)(record(1))
    assert written == [record(1)]


async def test_flush_writes_what_is_pending_now() -> None:
    written: list[CallRecord] = []
    sink = DeferredRecords(written.append)
    sink(record(1))
    sink.flush()
    assert written == [record(1)]
    await asyncio.sleep(0)
    assert written == [record(1)]  # the scheduled write found nothing left to do


async def test_a_failing_write_loses_no_other_record(caplog: pytest.LogCaptureFixture) -> None:
    written: list[CallRecord] = []

    def write(call: CallRecord) -> None:
        if call.usage.input_tokens == 2:
            raise OSError("disk full")
        written.append(call)

    sink = DeferredRecords(write)
    for n in (1, 2, 3):
        sink(record(n))
    with caplog.at_level(logging.ERROR, logger="mapekd.api"):
        await asyncio.sleep(0)
    assert written == [record(1), record(3)]
    assert "writing a call record failed" in caplog.text
