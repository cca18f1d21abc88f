"""The rules' memory: samples kept as long as the rules look back; a target's newest sample kept
as its current state; a target not reported on for long forgotten, so that thousands of distinct
targets that come and go (alerts, series) cannot grow it without bound."""

from __future__ import annotations

from mapekd.analyze.history import FORGET_AFTER_S, History
from mapekd.model import Sample


def sample(target: str, ts: float) -> Sample:
    return Sample("am", target, {"ok": True, "error": None}, ts=ts)


def test_old_samples_go_but_the_newest_stays() -> None:
    history = History(60, started_at=0)
    history.add([sample("a", 0), sample("a", 10), sample("a", 100)])
    history.prune(150)
    assert [s.ts for s in history.series("am", "a")] == [100]
    history.prune(400)
    assert [s.ts for s in history.series("am", "a")] == [100], "its current state, though old"


def test_a_target_not_reported_on_for_long_is_forgotten() -> None:
    history = History(60, started_at=0)
    history.add([sample(f"alert:X/{i}", 0) for i in range(1000)])
    history.add([sample("alert:X/live", FORGET_AFTER_S)])
    history.prune(FORGET_AFTER_S + 1)
    assert history.targets("am") == ["alert:X/live"]
    assert history.latest("am", "alert:X/1") is None
