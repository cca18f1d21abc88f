"""What the loop asks of the fleet, answered from memory: each candidate's fleet record (and
whether the fleet proves it), and whether a remedy is quarantined. The worker thread replaces the
snapshot and the connection state; the loop only reads them."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.leases import Leases
from mapekd.fleet.record import Snapshot, Tally
from mapekd.plan.proposal import Candidate


class FleetView:
    def __init__(self, config: FleetConfig, leases: Leases | None = None) -> None:
        self.config = config
        self.leases = leases
        self.snapshot = Snapshot()
        self.error: str | None = "not connected yet"
        """Why PostgreSQL is not being reached (None: it answers)."""
        self.last_ok_at: float | None = None
        self.busy_since: float | None = None
        """When the worker's current exchange with PostgreSQL began (a frozen server shows here)."""
        self.outbox: dict[str, Any] = {}

    # what the loop asks ----------------------------------------------------------------------
    def annotate(
        self, signature: str, target: str, fingerprint: str | None, candidates: list[Candidate]
    ) -> list[Candidate]:
        """Each candidate with the fleet's record for this cause (else for this signature), and
        whether the fleet proves it (knowledge.fleet.min_*): proven for this cause, or proven for
        the signature where neither the fleet's nor this host's record for the cause refutes it;
        never while quarantined. The same order as this host's own knowledge (plan/sources.py)."""
        snap = self.snapshot
        for_cause = snap.by_cause.get((signature, fingerprint), {}) if fingerprint else {}
        for_signature = snap.by_signature.get(signature, {})
        out = []
        for c in candidates:
            cause, whole = for_cause.get(c.name), for_signature.get(c.name)
            local = Tally(c.cause_successes, c.cause_tries, 1)
            by_whole = self._proves(whole) and not self._refutes(cause) and not self._refutes(local)
            proven = self._proves(cause) or by_whole
            # The record that proves it, else the cause's where there is one.
            shown = (whole if by_whole and not self._proves(cause) else cause or whole) or Tally(0, 0, 0)
            out.append(
                dataclasses.replace(
                    c,
                    fleet_successes=shown.successes,
                    fleet_tries=shown.tries,
                    fleet_hosts=shown.hosts,
                    fleet_proven=proven and self.quarantined(c.name, target) is None,
                )
            )
        return out

    def _proves(self, tally: Tally | None) -> bool:
        c = self.config
        if tally is None or tally.hosts < c.min_hosts or tally.successes < c.min_successes:
            return False
        return tally.successes / tally.tries >= c.min_rate

    def _refutes(self, tally: Tally | None) -> bool:
        """Tried for this very cause below the rate: the signature's record does not speak for it."""
        return tally is not None and tally.tries > 0 and tally.successes / tally.tries < self.config.min_rate

    def quarantined(self, action: str, target: str) -> str | None:
        """Why this remedy needs an approval on every host (None: it is not quarantined)."""
        hosts = self.snapshot.quarantined.get((action, target))
        if hosts is None:
            return None
        return (
            f"{action} on {target} is quarantined fleet-wide: it failed on {hosts} hosts within "
            f"{self.config.quarantine_window:g}s; it runs only once approved"
        )

    def lease(self, action: str, target: str, ttl: float, now: float) -> str | None:
        """Why this remedy waits for another host (None: act now); fleet/leases.py."""
        if self.leases is None:
            return None
        return self.leases.check(action, target, ttl, now, reachable=self.error is None)

    # what the worker tells -------------------------------------------------------------------
    def reached(self) -> None:
        self.error, self.last_ok_at = None, time.time()

    def unreachable(self, why: str) -> None:
        self.error = why

    def status(self, now: float | None = None) -> dict[str, Any]:
        now = now or time.time()
        waiting = None if self.busy_since is None else round(now - self.busy_since, 3)
        return {
            "host_id": self.config.host_id,
            "connected": self.error is None,
            "error": self.error,
            "last_ok_at": self.last_ok_at,
            "waiting_s": waiting,
            "quarantined": [
                {"action": a, "target": t, "hosts": n} for (a, t), n in self.snapshot.quarantined.items()
            ],
            "record_pulled_at": self.snapshot.pulled_at,
            "leases_skipped": self.leases.skipped if self.leases is not None else 0,
            **self.outbox,
        }
