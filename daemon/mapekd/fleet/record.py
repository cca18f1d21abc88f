"""The fleet record and the quarantine, read from PostgreSQL into an immutable snapshot that the
loop consults in memory (a dict look-up; never a round trip)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg

from mapekd.fleet.connection import mapped

MAX_RECORD_ROWS = 100_000
"""Record rows kept in memory, the most recently updated first."""


@dataclass(frozen=True, slots=True)
class Tally:
    successes: int
    tries: int
    hosts: int


@dataclass(frozen=True)
class Snapshot:
    by_cause: dict[tuple[str, str], dict[str, Tally]] = field(default_factory=dict)
    """(signature, fingerprint) -> action -> its record for that cause."""
    by_signature: dict[str, dict[str, Tally]] = field(default_factory=dict)
    """signature -> action -> its record whatever the cause."""
    quarantined: dict[tuple[str, str], int] = field(default_factory=dict)
    """(action, target) -> how many distinct hosts it failed on within the window."""
    pulled_at: float | None = None


def pull(conn: psycopg.Connection[tuple[object, ...]], *, quarantine_hosts: int, window: float) -> Snapshot:
    with mapped("cannot read the fleet record"):
        causes = conn.execute(
            "SELECT signature, fingerprint, action, successes, tries, hosts FROM fleet_record "
            "WHERE fingerprint IS NOT NULL ORDER BY last_at DESC LIMIT %s",
            (MAX_RECORD_ROWS,),
        ).fetchall()
        signatures = conn.execute(
            "SELECT signature, action, successes, tries, hosts FROM fleet_signature_record "
            "ORDER BY last_at DESC LIMIT %s",
            (MAX_RECORD_ROWS,),
        ).fetchall()
        quarantined = pull_quarantine(conn, hosts=quarantine_hosts, window=window)
    by_cause: dict[tuple[str, str], dict[str, Tally]] = {}
    for sig, fingerprint, action, ok, n, hosts in causes:
        by_cause.setdefault((str(sig), str(fingerprint)), {})[str(action)] = _tally(ok, n, hosts)
    by_signature: dict[str, dict[str, Tally]] = {}
    for sig, action, ok, n, hosts in signatures:
        by_signature.setdefault(str(sig), {})[str(action)] = _tally(ok, n, hosts)
    return Snapshot(by_cause, by_signature, quarantined, time.time())


def pull_quarantine(
    conn: psycopg.Connection[tuple[object, ...]], *, hosts: int, window: float
) -> dict[tuple[str, str], int]:
    """Remedies (action on target) that failed on at least `hosts` distinct hosts within the window."""
    with mapped("cannot read the quarantine"):
        rows = conn.execute(
            "SELECT action, target, COUNT(DISTINCT host_id) FROM outcomes "
            "WHERE counted AND result <> 'resolved' AND ts >= %s "
            "GROUP BY action, target HAVING COUNT(DISTINCT host_id) >= %s",
            (time.time() - window, hosts),
        ).fetchall()
    return {(str(a), str(t)): int(str(n)) for a, t, n in rows}


def _tally(ok: object, n: object, hosts: object) -> Tally:
    return Tally(int(str(ok)), int(str(n)), int(str(hosts)))
