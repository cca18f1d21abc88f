"""Alertmanager's webhook payload (version 4), validated and turned into our Alert records.

{"version": "4", "status": "firing", "receiver": "...", "groupKey": "...",
 "alerts": [{"status": "firing" | "resolved", "labels": {...}, "annotations": {...},
             "startsAt": RFC 3339, "endsAt": RFC 3339, "fingerprint": "..."}], ...}
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mapekd.monitor.alerts import Alert

MAX_ALERTS_PER_PUSH = 1000
_ZERO_TIME_YEAR = 1  # Go's zero time (0001-01-01): "not set"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AlertIn(_Lenient):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None  # Alertmanager's field names
    fingerprint: str = ""

    def to_alert(self) -> Alert:
        started = self.startsAt
        return Alert(
            labels=self.labels,
            firing=self.status == "firing",
            annotations=self.annotations,
            fingerprint=self.fingerprint,
            started_at=started.timestamp() if started and started.year > _ZERO_TIME_YEAR else None,
        )


class WebhookPayload(_Lenient):
    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    alerts: list[AlertIn] = Field(max_length=MAX_ALERTS_PER_PUSH)

    def to_alerts(self) -> list[Alert]:
        return [a.to_alert() for a in self.alerts]
