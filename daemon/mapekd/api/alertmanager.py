"""Alertmanager's webhook payload (version 4), validated and turned into our Alert records.

{"version": "4", "status": "firing", "receiver": "...", "groupKey": "...",
 "alerts": [{"status": "firing" | "resolved", "labels": {...}, "annotations": {...},
             "startsAt": RFC 3339, "endsAt": RFC 3339, "fingerprint": "..."}], ...}
"""

from __future__ import annotations

from datetime import UTC, datetime
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
    endsAt: datetime | None = None
    fingerprint: str = ""

    def to_alert(self) -> Alert:
        return Alert(
            labels=self.labels,
            firing=self.status == "firing",
            annotations=self.annotations,
            fingerprint=self.fingerprint,
            started_at=_unix_time(self.startsAt),
            ends_at=_unix_time(self.endsAt),
        )


def _unix_time(moment: datetime | None) -> float | None:
    """RFC 3339 (pydantic parses it; one without a zone is taken as UTC) to Unix time; Go's
    zero time means "not set"."""
    if moment is None or moment.year <= _ZERO_TIME_YEAR:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class WebhookPayload(_Lenient):
    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    alerts: list[AlertIn] = Field(max_length=MAX_ALERTS_PER_PUSH)

    def to_alerts(self) -> list[Alert]:
        return [a.to_alert() for a in self.alerts]
