"""Prometheus metrics of the healing loop, registered in the CollectorRegistry passed in (never the
global one). The daemon shares one registry between these and the LLM layer's metrics.

    mapekd_build_info{version,python}                 always 1
    mapekd_cycles_total                               cycles completed
    mapekd_cycle_duration_seconds                     histogram of a cycle's duration
    mapekd_last_cycle_timestamp_seconds               when the last cycle completed (loop stuck?)
    mapekd_check_up{check}                            1 when every sample of the check was ok, else 0
    mapekd_open_incidents{status}                     unresolved incidents: open, gave_up, ...
    mapekd_decisions_total{source,verdict}            decisions recorded
    mapekd_executions_total{action,result}            executions, by final state
    mapekd_outcomes_total{rule,outcome}               outcomes (resolved, not_resolved, relapsed, failed)
    mapekd_time_to_mitigate_seconds{rule}             incident opened -> verified resolved
    mapekd_incidents_gave_up_total{rule}              incidents given up (action cap reached)

Labels are names from the configuration or fixed words, never targets or signatures, so the number
of series stays bounded by the configuration.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from mapekd import __version__
from mapekd.model import Sample

CYCLE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
TTM_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)
INCIDENT_STATUSES = ("open", "gave_up")
"""Always exported (0 when none), so an alert on them never depends on a series appearing."""


class LoopMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = r = registry
        ProcessCollector(registry=r)  # process_start_time_seconds, memory, fds of the daemon
        build = Gauge("mapekd_build_info", "mapekd version", ["version", "python"], registry=r)
        build.labels(__version__, platform.python_version()).set(1)
        self.cycles = Counter("mapekd_cycles_total", "Cycles completed", registry=r)
        self.cycle_seconds = Histogram(
            "mapekd_cycle_duration_seconds", "Duration of a cycle", buckets=CYCLE_BUCKETS, registry=r
        )
        self.last_cycle = Gauge(
            "mapekd_last_cycle_timestamp_seconds", "Unix time the last cycle completed", registry=r
        )
        self.check_up = Gauge(
            "mapekd_check_up", "1 when all samples of a check were ok", ["check"], registry=r
        )
        self.incidents = Gauge("mapekd_open_incidents", "Unresolved incidents", ["status"], registry=r)
        self.decisions = Counter(
            "mapekd_decisions_total", "Decisions recorded", ["source", "verdict"], registry=r
        )
        self.executions = Counter(
            "mapekd_executions_total", "Executions by final state", ["action", "result"], registry=r
        )
        self.outcomes = Counter(
            "mapekd_outcomes_total", "Verified outcomes of executions", ["rule", "outcome"], registry=r
        )
        self.ttm = Histogram(
            "mapekd_time_to_mitigate_seconds",
            "From an incident's opening to its verified resolution",
            ["rule"],
            buckets=TTM_BUCKETS,
            registry=r,
        )
        self.gave_ups = Counter("mapekd_incidents_gave_up_total", "Incidents given up", ["rule"], registry=r)
        self._checks: set[str] = set()
        self._statuses: set[str] = set(INCIDENT_STATUSES)
        for status in INCIDENT_STATUSES:
            self.incidents.labels(status).set(0)

    def cycle_done(self, duration_s: float, samples: Iterable[Sample]) -> None:
        """One check group's collection completed (`mapekd_cycles_total` counts collections);
        `samples`: the group's, plus the latest of every other check."""
        self.cycles.inc()
        self.cycle_seconds.observe(duration_s)
        self.last_cycle.set_to_current_time()
        up: dict[str, bool] = {}
        for sample in samples:
            up[sample.check] = up.get(sample.check, True) and sample.ok
        for check, ok in up.items():
            self.check_up.labels(check).set(1 if ok else 0)
        for gone in self._checks - up.keys():  # removed by a reload: a stale 0 would alarm
            self.check_up.remove(gone)
        self._checks = set(up)

    def open_incidents(self, by_status: Mapping[str, int]) -> None:
        """The unresolved incidents counted by status (a status seen before and gone counts 0)."""
        counts = {**dict.fromkeys(self._statuses, 0), **by_status}
        self._statuses.update(counts)
        for status, count in counts.items():
            self.incidents.labels(status).set(count)

    def decision(self, source: str, verdict: str) -> None:
        self.decisions.labels(source, verdict).inc()

    def execution(self, action: str, result: str) -> None:
        self.executions.labels(action, result).inc()

    def outcome(self, rule: str, outcome: str, since_opened_s: float) -> None:
        """A verified outcome; a `resolved` one also records the time to mitigate."""
        self.outcomes.labels(rule, outcome).inc()
        if outcome == "resolved":
            self.ttm.labels(rule).observe(since_opened_s)

    def gave_up(self, rule: str) -> None:
        """An incident given up; also counts the decision that records it (policy, gave_up)."""
        self.gave_ups.labels(rule).inc()
        self.decision("policy", "gave_up")
