"""An alert as Alertmanager reports it, and the sample fields the alertmanager check makes of it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mapekd.model import FieldValue

MAX_LABEL_FIELDS = 32
MAX_ANNOTATION_FIELDS = 16
MAX_VALUE_CHARS = 256
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")
_FINGERPRINT = re.compile(r"^[0-9a-fA-F]{1,32}$")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as Alertmanager reports it (webhook payload version 4)."""

    labels: Mapping[str, str]
    firing: bool
    annotations: Mapping[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    started_at: float | None = None

    @property
    def key(self) -> str:
        """Alertmanager's fingerprint when it is one; else a hash of the labels."""
        if _FINGERPRINT.match(self.fingerprint):
            return self.fingerprint.lower()
        text = "\0".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def target(self) -> str:
        name = _UNSAFE.sub("_", self.labels.get("alertname", "unnamed"))[:100] or "unnamed"
        return f"alert:{name}/{self.key}"


def alert_fields(alert: Alert, resolved_at: float | None) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "ok": not alert.firing,
        "firing": alert.firing,
        "alertname": _bounded(alert.labels.get("alertname", "")),
        "fingerprint": alert.key,
        "started_at": alert.started_at,
        "resolved_at": resolved_at,
        "error": None,
    }
    fields.update(_prefixed("label_", alert.labels, MAX_LABEL_FIELDS))
    fields.update(_prefixed("annotation_", alert.annotations, MAX_ANNOTATION_FIELDS))
    return fields


def _prefixed(prefix: str, values: Mapping[str, str], limit: int) -> dict[str, FieldValue]:
    names = sorted(k for k in values if _IDENT.match(k))[:limit]
    return {prefix + k: _bounded(values[k]) for k in names}


def _bounded(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 3] + "..."
