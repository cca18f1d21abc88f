"""Each rule type, table-driven over hand-built sample histories: the exact symptoms and clears."""

from __future__ import annotations

from typing import Any

from mapekd.analyze.history import History
from mapekd.analyze.rules.absence import AbsenceRule
from mapekd.analyze.rules.flapping import FlappingRule
from mapekd.analyze.rules.registry import build_rule, lookback
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.analyze.rules.trend import TrendRule, fit_line
from mapekd.config.rules import (
    AbsenceRuleConfig,
    FlappingRuleConfig,
    ThresholdRuleConfig,
    TrendRuleConfig,
)
from mapekd.model import Sample

T0 = 1_000_000.0


def history(*samples: tuple[float, str, dict[str, Any]], check: str = "web") -> History:
    h = History(3600, started_at=T0)
    h.add(Sample(check, target, fields, ts=T0 + dt) for dt, target, fields in samples)
    return h


def threshold(for_: str = "0s") -> ThresholdRule:
    return ThresholdRule(
        ThresholdRuleConfig.model_validate(
            {"name": "down", "check": "web", "when": "alive == false", "for": for_}
        )
    )


def test_threshold_fires_immediately_without_debounce() -> None:
    result = threshold().evaluate(history((0, "p:a", {"alive": False})), T0)
    assert [s.signature for s in result.firing] == ["down@p:a"]
    assert result.firing[0].fields == {"alive": False}


def test_threshold_debounce_waits_for_the_whole_period() -> None:
    h = history((0, "p:a", {"alive": True}), (1, "p:a", {"alive": False}), (5, "p:a", {"alive": False}))
    assert threshold("10s").evaluate(h, T0 + 5).firing == []
    assert threshold("10s").evaluate(h, T0 + 10.5).firing == []
    assert [s.target for s in threshold("10s").evaluate(h, T0 + 11).firing] == ["p:a"]


def test_threshold_debounce_restarts_after_a_good_sample() -> None:
    h = history((0, "p:a", {"alive": False}), (5, "p:a", {"alive": True}), (6, "p:a", {"alive": False}))
    assert threshold("10s").evaluate(h, T0 + 12).firing == []


def test_threshold_clear_and_unknown_per_target() -> None:
    h = history(
        (0, "p:a", {"alive": True}), (0, "p:b", {"ok": False, "error": "boom"}), (0, "p:c", {"alive": False})
    )
    result = threshold().evaluate(h, T0)
    assert result.clear == {"p:a"}, "a failed check neither fires nor clears"
    assert [s.target for s in result.firing] == ["p:c"]


def test_flapping_counts_onsets_within_the_window() -> None:
    rule = FlappingRule(
        FlappingRuleConfig.model_validate(
            {
                "name": "flap",
                "check": "web",
                "type": "flapping",
                "when": "alive == false",
                "times": 3,
                "within": "60s",
            }
        )
    )
    states = [True, False, True, False, False, True, False, True]
    h = history(*[(i * 5.0, "p:a", {"alive": s}) for i, s in enumerate(states)])
    result = rule.evaluate(h, T0 + 40)
    assert [s.fields["onsets"] for s in result.firing] == [3]
    assert rule.evaluate(h, T0 + 85).clear == {"p:a"}  # the early onsets aged out


def test_absence_fires_when_the_check_stops_reporting() -> None:
    rule = AbsenceRule(
        AbsenceRuleConfig.model_validate(
            {"name": "silent", "check": "web", "type": "absence", "after": "30s"}
        )
    )
    h = history((0, "p:a", {"ok": True}), (20, "p:a", {"ok": False, "error": "timeout"}))
    assert rule.evaluate(h, T0 + 25).clear == {"check:web"}
    firing = rule.evaluate(h, T0 + 31).firing
    assert [s.signature for s in firing] == ["silent@check:web"]
    assert firing[0].fields["silent_s"] == 31.0
    assert rule.evaluate(History(3600, started_at=T0), T0 + 31).firing, "never reported at all"


def test_trend_forecasts_a_filling_disk() -> None:
    rule = TrendRule(
        TrendRuleConfig.model_validate(
            {
                "name": "filling",
                "check": "web",
                "type": "trend",
                "field": "used_percent",
                "threshold": 90,
                "horizon": "1h",
                "window": "10m",
            }
        )
    )
    rising = history(*[(i * 60.0, "disk:/", {"used_percent": 50 + i}) for i in range(6)])
    firing = rule.evaluate(rising, T0 + 300).firing
    assert len(firing) == 1 and 2000 < firing[0].fields["eta_s"] < 2500  # 35 points at 1/min
    flat = history(*[(i * 60.0, "disk:/", {"used_percent": 50}) for i in range(6)])
    assert rule.evaluate(flat, T0 + 300).clear == {"disk:/"}
    few = history(*[(i * 60.0, "disk:/", {"used_percent": 50 + i}) for i in range(3)])
    result = rule.evaluate(few, T0 + 120)
    assert result.firing == [] and result.clear == set()


def test_fit_line() -> None:
    assert fit_line([(0, 1), (1, 3), (2, 5)]) == (2.0, 1.0)
    assert fit_line([(1, 1), (1, 2)]) is None


def test_registry_and_lookback() -> None:
    configs = [
        ThresholdRuleConfig.model_validate({"name": "a", "check": "web", "when": "ok == false", "for": "2m"})
    ]
    assert isinstance(build_rule(configs[0]), ThresholdRule)
    assert lookback(configs) == 180.0
