"""An alert as Alertmanager reports it, and the sample fields the alertmanager check makes of it.

What the check keeps of an alert is bounded (`bounded`): at most MAX_LABEL_FIELDS labels and
MAX_ANNOTATION_FIELDS annotations, each named like an identifier, each value cut at
MAX_VALUE_CHARS; a flood of fat alerts costs at most a few KiB each."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from mapekd.model import FieldValue
from mapekd.monitor.promql_series import undotted

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
    ends_at: float | None = None
    """When Alertmanager will consider the alert resolved unless it is notified again (endsAt);
    None for Go's zero time, i.e. no end announced."""

    @property
    def key(self) -> str:
        """Alertmanager's fingerprint when it is one; else a hash of the labels."""
        if _FINGERPRINT.match(self.fingerprint):
            return self.fingerprint.lower()
        text = "\0".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def target(self) -> str:
        name = undotted(_UNSAFE.sub("_", self.labels.get("alertname", "unnamed"))[:100]) or "unnamed"
        return f"alert:{name}/{self.key}"

    def expired(self, now: float) -> bool:
        """Firing, but past its endsAt: Alertmanager would call it resolved by now."""
        return self.firing and self.ends_at is not None and self.ends_at <= now

    def bounded(self) -> Alert:
        """What is kept of the alert: its key fixed (computed from all labels), identifier-named
        labels and annotations only, bounded in count and length; `alertname` always kept."""
        labels = _kept(self.labels, MAX_LABEL_FIELDS, first="alertname")
        annotations = _kept(self.annotations, MAX_ANNOTATION_FIELDS)
        return replace(self, labels=labels, annotations=annotations, fingerprint=self.key)


def alert_fields(alert: Alert, resolved_at: float | None, now: float) -> dict[str, FieldValue]:
    """`resolved_at`: when Alertmanager said resolved, None while it has not. An alert past its
    endsAt is reported resolved then (`expired`), even if no resolve notice came."""
    expired = resolved_at is None and alert.expired(now)
    if expired:
        resolved_at = alert.ends_at
    firing = alert.firing and resolved_at is None
    fields: dict[str, FieldValue] = {
        "ok": not firing,
        "firing": firing,
        "expired": expired,
        "alertname": _bounded(alert.labels.get("alertname", "")),
        "fingerprint": alert.key,
        "started_at": alert.started_at,
        "ends_at": alert.ends_at,
        "resolved_at": resolved_at,
        "error": None,
    }
    fields.update(_prefixed("label_", alert.labels, MAX_LABEL_FIELDS))
    fields.update(_prefixed("annotation_", alert.annotations, MAX_ANNOTATION_FIELDS))
    return fields


def _kept(values: Mapping[str, str], limit: int, first: str = "") -> dict[str, str]:
    names = sorted(k for k in values if _IDENT.match(k) and k != first)
    if first in values:
        names.insert(0, first)
    return {k: _bounded(values[k]) for k in names[:limit]}


def _prefixed(prefix: str, values: Mapping[str, str], limit: int) -> dict[str, FieldValue]:
    names = sorted(k for k in values if _IDENT.match(k))[:limit]
    return {prefix + k: _bounded(values[k]) for k in names}


def _bounded(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 3] + "..."
