"""`type: alertmanager`: alerts from a central Prometheus, pushed in by Alertmanager's webhook.

The API's /api/v1/alerts hands each alert to `receive()`; the check keeps one entry per
fingerprint (a repeated notification updates it, never duplicates it) and reports it at every
collection until it has been resolved for `resolved_retention`. A push that changes anything
asks for an immediate cycle, like a process death seen through its pidfd.

Target `alert:<alertname>/<fingerprint>`; fields: ok (= not firing), firing, alertname,
fingerprint, started_at, resolved_at, error, and bounded `label_<name>` / `annotation_<name>`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mapekd.config.checks import AlertmanagerCheckConfig, CheckBase
from mapekd.model import Sample
from mapekd.monitor.alert_model import Alert, alert_fields
from mapekd.monitor.base import require_config

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp

__all__ = ["Alert", "AlertmanagerCheck", "adopt_alerts"]


@dataclass(slots=True)
class _Entry:
    alert: Alert
    resolved_at: float | None


class AlertmanagerCheck:
    def __init__(self, config: AlertmanagerCheckConfig, clock: Callable[[], float] = time.time) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock
        self._inbox: dict[str, _Entry] = {}
        self._notify: Callable[[str], None] | None = None
        self.dropped = 0
        """Alerts refused because the inbox was full of firing alerts."""

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> AlertmanagerCheck:
        return cls(require_config(config, AlertmanagerCheckConfig))

    def start_watching(self, notify: Callable[[str], None]) -> None:
        self._notify = notify

    def stop_watching(self) -> None:
        self._notify = None

    def adopt(self, previous: AlertmanagerCheck) -> None:
        """Keep the alerts of the check this one replaces (configuration reload)."""
        self._inbox = {k: v for k, v in previous._inbox.items() if self._wants(v.alert)}

    def receive(self, alerts: Iterable[Alert]) -> int:
        """Take the alerts this check matches; returns how many changed the inbox."""
        now = self._clock()
        changed = 0
        for alert in alerts:
            if self._wants(alert) and self._store(alert, now):
                changed += 1
        if changed and self._notify is not None:
            self._notify(self.name)
        return changed

    async def collect(self) -> list[Sample]:
        now = self._clock()
        horizon = now - self.config.resolved_retention
        for key in [
            k for k, e in self._inbox.items() if e.resolved_at is not None and e.resolved_at < horizon
        ]:
            del self._inbox[key]
        return [
            Sample(self.name, e.alert.target, alert_fields(e.alert, e.resolved_at), now)
            for e in self._inbox.values()
        ]

    def _wants(self, alert: Alert) -> bool:
        return all(alert.labels.get(k) == v for k, v in self.config.match_labels.items())

    def _store(self, alert: Alert, now: float) -> bool:
        key = alert.key
        old = self._inbox.get(key)
        if old is not None and old.alert == alert:
            return False  # a repeated notification: nothing new
        if old is None and len(self._inbox) >= self.config.max_alerts and not self._evict_resolved():
            self.dropped += 1
            return False
        resolved_at = None if alert.firing else (old.resolved_at if old and old.resolved_at else now)
        self._inbox[key] = _Entry(alert, resolved_at)
        return True

    def _evict_resolved(self) -> bool:
        resolved = [(e.resolved_at, k) for k, e in self._inbox.items() if e.resolved_at is not None]
        if not resolved:
            return False
        del self._inbox[min(resolved)[1]]
        return True


def adopt_alerts(old: Mapping[str, object], new: Mapping[str, object]) -> None:
    """On a reload: each new alertmanager check keeps the alerts of the old one of the same name."""
    for name, check in new.items():
        previous = old.get(name)
        if isinstance(check, AlertmanagerCheck) and isinstance(previous, AlertmanagerCheck):
            check.adopt(previous)
