"""`type: alertmanager`: alerts from a central Prometheus, pushed in by Alertmanager's webhook.

The API's /api/v1/alerts hands each alert to `receive()`; the check keeps one entry per
fingerprint (a repeated notification refreshes it, never duplicates it) and reports it at every
collection until it has been resolved for `resolved_retention`. An alert is resolved when
Alertmanager says so, or once its `endsAt` has passed without a new notification (`expired`).
A push that changes anything asks for an immediate cycle, like a process death seen through its
pidfd.

The inbox holds `max_alerts`. When it is full, a new alert takes the place of, in this order: an
expired alert, a resolved one, the firing alert notified least recently. A new alert that is
itself resolved never displaces a firing one: it is the one let go. Every alert let go is counted
(`evicted_total`) and logged (`alerts_evicted`, at most once a minute per check): none is lost
silently.

Targets: `alert:<alertname>/<fingerprint>`; fields: ok (= not firing), firing, expired,
alertname, fingerprint, started_at, ends_at, resolved_at, error, and bounded `label_<name>` /
`annotation_<name>`. The check's own target `alert:<check>` carries ok, error, alerts (kept),
firing_alerts and evicted_total.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mapekd.config.checks import AlertmanagerCheckConfig, CheckBase
from mapekd.model import FieldValue, Sample
from mapekd.monitor.alert_model import Alert, alert_fields
from mapekd.monitor.base import AlertInbox, require_config

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp

__all__ = ["Alert", "AlertmanagerCheck", "adopt_alerts"]

EVICTION_LOG_INTERVAL_S = 60.0
log = logging.getLogger("mapekd.monitor")


@dataclass(slots=True)
class _Entry:
    alert: Alert
    resolved_at: float | None
    """When Alertmanager said resolved; None while it has not."""

    def settled_at(self, now: float) -> float | None:
        """When the alert stopped firing (resolved, or expired at its endsAt); None if it fires."""
        if self.resolved_at is None and self.alert.expired(now):
            return self.alert.ends_at
        return self.resolved_at


class AlertmanagerCheck:
    def __init__(self, config: AlertmanagerCheckConfig, clock: Callable[[], float] = time.time) -> None:
        self.name = config.name
        self.config = config
        self.targets = (f"alert:{config.name}",)
        self._clock = clock
        self._inbox: OrderedDict[str, _Entry] = OrderedDict()
        """Least recently notified first."""
        self._on_event: Callable[[str], None] | None = None
        self._victims: deque[str] | None = None
        self.evicted = 0
        """Alerts let go because the inbox was full (see the module's docstring)."""
        self._unlogged = 0
        self._logged_at = float("-inf")

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> AlertmanagerCheck:
        return cls(require_config(config, AlertmanagerCheckConfig))

    def start_watching(self, on_event: Callable[[str], None]) -> None:
        self._on_event = on_event

    def stop_watching(self) -> None:
        self._on_event = None

    def adopt(self, previous: object) -> None:
        """Keep the alerts of the check this one replaces (configuration reload), if it is one."""
        if not isinstance(previous, AlertmanagerCheck):
            return
        self._inbox = OrderedDict((k, v) for k, v in previous._inbox.items() if self._wants(v.alert))
        self.evicted = previous.evicted

    def receive(self, alerts: Iterable[Alert]) -> int:
        """Take the alerts this check matches; returns how many changed the inbox."""
        now = self._clock()
        self._victims = None  # the eviction order, computed once per push when first needed
        changed = sum(1 for alert in alerts if self._wants(alert) and self._store(alert.bounded(), now))
        self._log_evictions(now)
        if changed and self._on_event is not None:
            self._on_event(self.name)
        return changed

    async def collect(self) -> list[Sample]:
        now = self._clock()
        horizon = now - self.config.resolved_retention
        for key in [k for k, e in self._inbox.items() if (e.settled_at(now) or now) < horizon]:
            del self._inbox[key]
        self._log_evictions(now)
        return [self._own_sample(now), *(self._sample(e, now) for e in self._inbox.values())]

    def sample_of(self, target: str) -> Sample | None:
        """A fresh sample of one target, without building the others (a verification)."""
        now = self._clock()
        if target == self.targets[0]:
            return self._own_sample(now)
        entry = self._inbox.get(target.rpartition("/")[2])
        return self._sample(entry, now) if entry is not None and entry.alert.target == target else None

    def _sample(self, entry: _Entry, now: float) -> Sample:
        return Sample(self.name, entry.alert.target, alert_fields(entry.alert, entry.resolved_at, now), now)

    def _own_sample(self, now: float) -> Sample:
        fields: dict[str, FieldValue] = {
            "ok": True,
            "error": None,
            "alerts": len(self._inbox),
            "firing_alerts": sum(1 for e in self._inbox.values() if e.settled_at(now) is None),
            "evicted_total": self.evicted,
        }
        return Sample(self.name, self.targets[0], fields, now)

    def _wants(self, alert: Alert) -> bool:
        return all(alert.labels.get(k) == v for k, v in self.config.match_labels.items())

    def _store(self, alert: Alert, now: float) -> bool:
        key = alert.key
        old = self._inbox.get(key)
        if old is not None:
            self._inbox.move_to_end(key)  # notified again: still alive, whatever it says
            if old.alert == alert:
                return False  # a repeated notification: nothing new
        elif len(self._inbox) >= self.config.max_alerts and not self._make_room(alert, now):
            return False
        resolved_at = None
        if not alert.firing:
            resolved_at = old.resolved_at if old and old.resolved_at else min(alert.ends_at or now, now)
        entry = self._inbox[key] = _Entry(alert, resolved_at)
        if self._victims is not None and entry.settled_at(now) is not None:
            self._victims.append(key)
        return True

    def _make_room(self, alert: Alert, now: float) -> bool:
        """Evict one alert for `alert`; False when `alert` itself is the one to let go."""
        victims = self._victims = self._victims if self._victims is not None else self._settled(now)
        while victims:
            key = victims.popleft()
            entry = self._inbox.get(key)
            if entry is not None and entry.settled_at(now) is not None:
                return self._evict(key)
        if not alert.firing or alert.expired(now):
            self._evict(None)
            return False
        return self._evict(next(iter(self._inbox)))

    def _settled(self, now: float) -> deque[str]:
        """Keys of the alerts no longer firing: the expired ones first, then the resolved ones,
        each oldest first."""
        order = sorted(
            (e.resolved_at is not None, settled, k)
            for k, e in self._inbox.items()
            if (settled := e.settled_at(now)) is not None
        )
        return deque(k for _, _, k in order)

    def _evict(self, key: str | None) -> bool:
        if key is not None:
            del self._inbox[key]
        self.evicted += 1
        self._unlogged += 1
        return True

    def _log_evictions(self, now: float) -> None:
        if not self._unlogged or now - self._logged_at < EVICTION_LOG_INTERVAL_S:
            return
        log.warning(
            "alert inbox full: %d alerts evicted (%d in all)",
            self._unlogged,
            self.evicted,
            extra={
                "event": {
                    "event": "alerts_evicted",
                    "check": self.name,
                    "evicted": self._unlogged,
                    "evicted_total": self.evicted,
                    "max_alerts": self.config.max_alerts,
                }
            },
        )
        self._unlogged, self._logged_at = 0, now


def adopt_alerts(old: Mapping[str, object], new: Mapping[str, object]) -> None:
    """On a reload: each new alertmanager check keeps the alerts of the old one of the same name."""
    for name, check in new.items():
        previous = old.get(name)
        if isinstance(check, AlertInbox):
            check.adopt(previous)
