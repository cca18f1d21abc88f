"""Leases, asked for without the loop ever waiting: the enforcer's first ask holds the remedy
(decided again next cycle) while a thread of its own asks PostgreSQL; the next ask finds the
answer. Granted: act. Denied: another host is acting on it (held, asked again later). No answer
within `knowledge.fleet.lease_deadline`, or PostgreSQL known to be down: act under local policy
alone, logged as `fleet_lease_skipped`.

Which remedies take one: with `knowledge.fleet.max_hosts` set, every remedy (at most that many
hosts act on one action and target at once: a canary roll-out); always those on an alert's target
(`alert:<name>/<fingerprint>`: one alert sent to several hosts is acted on by one). An alert's
lease is on its name and labels minus `knowledge.fleet.host_labels` (instance, host...), read from
its newest sample (`fields_of`): alerts that differ only in the host they came from share one."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mapekd.config.fleet import FleetConfig
from mapekd.errors import StoreError
from mapekd.fleet.connection import connect, mapped
from mapekd.model import FieldValue

log = logging.getLogger("mapekd.fleet")
MAX_ASKS = 256
"""Lease requests waiting for the thread; past it a request is not made (the remedy acts locally)."""
RETRY_DENIED_S = 5.0
LABEL = "label_"
"""How the alertmanager check reports an alert's labels among its sample's fields."""
FieldsOf = Callable[[str], Mapping[str, FieldValue]]
"""A target's newest sample's fields (empty when there is none)."""


def alert_lease_target(target: str, fields: Mapping[str, FieldValue], host_labels: Sequence[str]) -> str:
    """`alert:<name>/<hash of its labels minus the per-host ones>`; the target itself when its
    labels are not known (no sample), i.e. Alertmanager's fingerprint of all of them."""
    labels = {
        k.removeprefix(LABEL): str(v) for k, v in fields.items() if k.startswith(LABEL) and v is not None
    }
    if not labels:
        return target
    text = "\0".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in host_labels)
    name = target.removeprefix("alert:").rpartition("/")[0]
    return f"alert:{name}/{hashlib.sha256(text.encode()).hexdigest()[:16]}"


@dataclass
class Ask:
    key: str
    limit: int
    ttl: float
    asked_at: float
    granted: bool | None = None
    answered_at: float | None = None


class Leases:
    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.skipped = 0
        """Remedies that acted under local policy alone: no lease answer in time."""
        self._asks: dict[str, Ask] = {}
        self._queue: queue.Queue[Ask | None] = queue.Queue(MAX_ASKS)
        self._thread = threading.Thread(target=self._run, name="mapekd-fleet-leases", daemon=True)
        self.fields_of: FieldsOf = lambda target: {}
        """Set by the daemon: where an alert's labels are read (its newest sample)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):  # a full queue: the daemon thread ends with the process
            self._queue.put_nowait(None)

    def limit_for(self, target: str) -> int | None:
        if target.startswith("alert:"):
            return 1
        return self.config.max_hosts

    def lease_target(self, target: str) -> str:
        if not target.startswith("alert:"):
            return target
        return alert_lease_target(target, self.fields_of(target), self.config.host_labels)

    def check(self, action: str, target: str, ttl: float, now: float, reachable: bool) -> str | None:
        """None: act (lease granted, or none needed, or none to be had in time). Else why the
        remedy is held this cycle."""
        limit = self.limit_for(target)
        if limit is None:
            return None
        key = f"{action}@{self.lease_target(target)}"
        ask = self._asks.get(key)
        if ask is not None and ask.granted is not None:
            assert ask.answered_at is not None
            if ask.granted and now < ask.answered_at + ask.ttl:
                return None
            if not ask.granted and now < ask.answered_at + RETRY_DENIED_S:
                return f"another host is acting on {key} (fleet lease, at most {limit} at once)"
            ask = None
        if ask is None:
            return self._ask(key, limit, ttl, now, reachable)
        if now - ask.asked_at > self.config.lease_deadline:
            return self._skip(key, "no answer in time")
        return f"waiting for the fleet's lease on {key}"

    def _ask(self, key: str, limit: int, ttl: float, now: float, reachable: bool) -> str | None:
        if not reachable:
            return self._skip(key, "PostgreSQL unreachable")
        ask = Ask(key, limit, ttl, now)
        try:
            self._queue.put_nowait(ask)
        except queue.Full:
            return self._skip(key, "too many lease requests waiting")
        self._asks[key] = ask
        return f"waiting for the fleet's lease on {key}"

    def _skip(self, key: str, why: str) -> str | None:
        self._asks.pop(key, None)
        self.skipped += 1
        log.warning(
            "acting without the fleet's lease, under local policy alone",
            extra={"event": {"event": "fleet_lease_skipped", "remedy": key, "why": why}},
        )
        return None

    def _run(self) -> None:
        conn = None
        while (ask := self._queue.get()) is not None:
            try:
                conn = conn if conn is not None and not conn.closed else connect(self.config)
                with mapped("cannot take a lease"):
                    row = conn.execute(
                        "SELECT take_lease(%s, %s, %s, %s)",
                        (ask.key, self.config.host_id, ask.limit, ask.ttl),
                    ).fetchone()
                ask.answered_at = ask.asked_at  # the TTL runs from the ask: never past the server's
                ask.granted = bool(row and row[0])
            except StoreError as exc:
                log.warning(
                    "no fleet lease", extra={"event": {"event": "fleet_lease_failed", "error": str(exc)}}
                )
                if conn is not None:
                    conn.close()
                conn = None
                continue  # unanswered: past the deadline the remedy acts locally
        if conn is not None:
            conn.close()
