"""collect_safely and collect_all: whatever a check does, the cycle gets samples back."""

from __future__ import annotations

import asyncio
import time

from mapekd.errors import CheckError
from mapekd.model import Sample
from mapekd.monitor.base import COLLECT_GRACE_S, Check, Watcher, collect_all, collect_safely, describe_error
from mapekd.monitor.http import HttpCheck
from mapekd.monitor.process import ProcessCheck
from mapekd.shared_http import SharedHttp


class Healthy:
    name = "healthy"

    async def collect(self) -> list[Sample]:
        return [Sample("healthy", "thing", {"ok": True})]


class Raising:
    def __init__(self, exc: Exception, targets: tuple[str, ...] | None = None) -> None:
        self.name = "broken"
        self._exc = exc
        if targets is not None:
            self.targets = targets

    async def collect(self) -> list[Sample]:
        raise self._exc


class Hanging:
    name = "hanging"
    targets = ("svc:a", "svc:b")

    async def collect(self) -> list[Sample]:
        await asyncio.sleep(60)
        return []


async def test_samples_of_a_working_check_pass_through() -> None:
    [sample] = await collect_safely(Healthy(), timeout=1)

    assert sample.target == "thing" and sample.ok


async def test_an_exception_becomes_an_error_sample() -> None:
    [sample] = await collect_safely(Raising(ValueError("boom")), timeout=1)

    assert sample.check == "broken" and sample.target == "check:broken"
    assert not sample.ok and sample.error == "ValueError: boom"


async def test_the_error_lands_on_every_declared_target() -> None:
    samples = await collect_safely(Raising(KeyError("x"), ("disk:/a", "disk:/b")), timeout=1)

    assert [s.target for s in samples] == ["disk:/a", "disk:/b"]
    assert all(s.error == "KeyError: 'x'" for s in samples)


async def test_a_check_error_keeps_the_checks_own_message() -> None:
    [sample] = await collect_safely(Raising(CheckError("pidfile unreadable")), timeout=1)

    assert sample.error == "pidfile unreadable"


async def test_a_hanging_check_times_out_into_error_samples() -> None:
    started = time.monotonic()

    samples = await collect_safely(Hanging(), timeout=0.1)

    assert time.monotonic() - started < 0.1 + COLLECT_GRACE_S + 1
    assert [s.target for s in samples] == ["svc:a", "svc:b"]
    assert all((s.error or "").startswith("TimeoutError") and not s.ok for s in samples)


async def test_credentials_and_secrets_never_reach_the_message() -> None:
    exc = RuntimeError("GET https://admin:hunter2@example.test/x failed, token tok-123")

    message = describe_error(exc, secrets=["tok-123"])

    assert "hunter2" not in message and "tok-123" not in message
    assert message == "RuntimeError: GET https://***@example.test/x failed, token ***"


async def test_long_messages_are_shortened() -> None:
    assert len(describe_error(ValueError("x" * 10_000))) <= 300


async def test_process_checks_are_watchers_and_http_checks_are_not() -> None:
    http_check = HttpCheck("web", "http://127.0.0.1/", client=SharedHttp().checks)
    process_check = ProcessCheck("svc", cmdline="x")

    assert isinstance(process_check, Check) and isinstance(process_check, Watcher)
    assert isinstance(http_check, Check) and not isinstance(http_check, Watcher)


class Slow:
    """Sleeps `seconds`; records when it was cancelled."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.targets, self.seconds = name, (f"slow:{name}",), seconds
        self.cancelled_after: float | None = None

    async def collect(self) -> list[Sample]:
        started = time.monotonic()
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled_after = time.monotonic() - started
            raise
        return [Sample(self.name, self.targets[0], {"ok": True})]


async def test_collect_all_bounds_each_check_by_its_own_timeout_in_order() -> None:
    short, long_, quick = Slow("short", 60), Slow("long", 60), Slow("quick", 0.05)
    checks: dict[str, Check] = {
        "short": short,
        "broken": Raising(CheckError("no")),
        "long": long_,
        "quick": quick,
    }
    timeouts = {"short": 0.1, "broken": 5.0, "long": 0.6, "quick": 0.1}

    samples = await collect_all(checks, timeouts)

    assert [s.target for s in samples] == ["slow:short", "check:broken", "slow:long", "slow:quick"]
    assert samples[0].error == "TimeoutError: collection took longer than 0.1s"
    assert samples[1].error == "no"
    assert samples[2].error == "TimeoutError: collection took longer than 0.6s"
    assert samples[3].ok and quick.cancelled_after is None
    assert short.cancelled_after is not None and long_.cancelled_after is not None
    assert 0.1 + COLLECT_GRACE_S - 0.05 <= short.cancelled_after < long_.cancelled_after
    assert long_.cancelled_after >= 0.6 + COLLECT_GRACE_S - 0.05


async def test_a_cancelled_collect_all_cancels_every_running_check() -> None:
    first, second = Slow("first", 60), Slow("second", 60)
    collecting = asyncio.ensure_future(
        collect_all({"first": first, "second": second}, {"first": 5, "second": 9})
    )
    await asyncio.sleep(0.05)

    collecting.cancel()
    await asyncio.gather(collecting, return_exceptions=True)
    await asyncio.sleep(0)

    assert collecting.cancelled()
    assert first.cancelled_after is not None and second.cancelled_after is not None
