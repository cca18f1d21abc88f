"""`knowledge.fleet`: the knowledge this host shares with a fleet through PostgreSQL. Absent (the
default): nothing changes. The URL's password belongs in the environment, e.g.
`MAPEKD_KNOWLEDGE__FLEET__URL=postgresql://web1:secret@db.example:5432/fleet`, or PGPASSWORD."""

from __future__ import annotations

import importlib.util
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from mapekd.config.base import StrictModel
from mapekd.config.durations import Duration


def _postgres_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or "host=" in parts.query):
        raise ValueError("expected postgresql://user@host:port/database")
    _ = parts.port  # a port that is not a number raises ValueError
    return url


PostgresUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_postgres_url)]
LabelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
HostId = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
"""Also the host's PostgreSQL role: row-level security lets a host write only rows of its own id."""


class FleetConfig(StrictModel):
    url: PostgresUrl
    host_id: HostId
    connect_timeout: Duration = 2.0
    """Past it a connection attempt fails and is retried later; the loop never waits for it."""
    statement_timeout: Duration = 5.0
    """Past it a statement is cancelled by the server (a slow or frozen PostgreSQL)."""
    push_interval: Duration = 1.0
    """How often the outbox sends what the host's SQLite holds that PostgreSQL does not."""
    pull_interval: Duration = 10.0
    """How often the fleet record and the quarantine are read back (a quarantine also at once, by
    LISTEN/NOTIFY)."""
    batch: int = Field(default=500, ge=1, le=10_000)
    """Rows of one table sent in one statement."""
    outbox_limit: int = Field(default=200_000, ge=1)
    """Unsent rows kept waiting; past it the oldest are skipped (never deleted from SQLite) and
    counted as dropped."""
    max_backoff: Duration = 30.0
    """Retries after a failure wait 1 s, doubled each time, up to this."""
    min_hosts: int = Field(default=3, ge=1)
    """The fleet proves a remedy (decided with source `fleet`) when it resolved this
    incident's cause (or, with no record for it, its signature) on at least this many hosts..."""
    min_successes: int = Field(default=5, ge=1)
    """... at least this many times ..."""
    min_rate: float = Field(default=0.9, ge=0.0, le=1.0)
    """... at this success rate or better (stricter than plan.knowledge_min_*)."""
    quarantine_hosts: int = Field(default=2, ge=2)
    """A remedy (action on a target) that failed on this many distinct hosts within
    `quarantine_window` runs only once approved, on every host (one host cannot quarantine alone)."""
    quarantine_window: Duration = 3600.0
    max_hosts: int | None = Field(default=None, ge=1)
    """At most this many hosts act on one remedy (action and target) at once, by leases (a canary
    roll-out); None: no limit. An alert's target (`alert:...`) is always acted on by one host."""
    lease_deadline: Duration = 2.0
    """A lease not answered within this acts under local policy alone (logged)."""
    host_labels: list[LabelName] = Field(
        default_factory=lambda: ["instance", "host", "hostname", "node", "pod"]
    )
    """Labels naming the host an alert comes from, left out of the alert's lease: alerts that differ
    only in these are one alert to the fleet, acted on by one host. []: every label counts."""

    @field_validator("host_labels")
    @classmethod
    def _alertname_names_the_alert(cls, labels: list[str]) -> list[str]:
        if "alertname" in labels:
            raise ValueError("alertname names the alert: it cannot be a per-host label")
        return labels

    @model_validator(mode="after")
    def _driver_installed(self) -> FleetConfig:
        """Checked with the configuration, so that `check-config` refuses what `run` would."""
        if importlib.util.find_spec("psycopg") is None:
            raise ValueError("needs psycopg 3: install mapekd with the [fleet] extra")
        return self
