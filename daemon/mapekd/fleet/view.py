"""What the loop asks of the fleet, answered from memory: each candidate's fleet record (and
whether the fleet proves it), and whether a remedy is quarantined. The worker thread replaces the
snapshot and the connection state; the loop only reads them."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.record import Snapshot, Tally
from mapekd.plan.proposal import Candidate


class FleetView:
    def __init__(self, config: FleetConfig) -> None:
        self.config = config
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
        whether that record proves it (knowledge.fleet.min_*) on a remedy not quarantined."""
        snap = self.snapshot
        for_cause = snap.by_cause.get((signature, fingerprint), {}) if fingerprint else {}
        for_signature = snap.by_signature.get(signature, {})
        out = []
        for c in candidates:
            tally = for_cause.get(c.name) or for_signature.get(c.name) or Tally(0, 0, 0)
            proven = self._proves(tally, c) and self.quarantined(c.name, target) is None
            out.append(
                dataclasses.replace(
                    c,
                    fleet_successes=tally.successes,
                    fleet_tries=tally.tries,
                    fleet_hosts=tally.hosts,
                    fleet_proven=proven,
                )
            )
        return out

    def quarantined(self, action: str, target: str) -> str | None:
        """Why this remedy needs an approval on every host (None: it is not quarantined)."""
        hosts = self.snapshot.quarantined.get((action, target))
        if hosts is None:
            return None
        return (
            f"{action} on {target} is quarantined fleet-wide: it failed on {hosts} hosts within "
            f"{self.config.quarantine_window:g}s; it runs only once approved"
        )

    def _proves(self, tally: Tally, candidate: Candidate) -> bool:
        c = self.config
        if not (tally.hosts >= c.min_hosts and tally.successes >= c.min_successes and tally.tries):
            return False
        if tally.successes / tally.tries < c.min_rate:
            return False
        # This host's own record for this cause outweighs the fleet's when it refutes it.
        ok, n = candidate.cause_successes, candidate.cause_tries
        return not (n and ok / n < c.min_rate)

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
            **self.outbox,
        }
