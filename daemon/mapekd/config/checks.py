"""Configuration of the Monitor's checks, one model per check type (discriminated by `type`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from mapekd.config.base import HttpUrl, Name, StrictModel, UnitName
from mapekd.config.check_base import CheckBase as CheckBase
from mapekd.config.checks_monit import (
    DirectoryCheckConfig,
    FifoCheckConfig,
    FileCheckConfig,
    FilesystemCheckConfig,
    NetworkCheckConfig,
    ProgramCheckConfig,
    TcpCheckConfig,
)
from mapekd.config.durations import Duration


class HostCheckConfig(CheckBase):
    type: Literal["host"]
    mounts: list[str] | None = None
    """Mount points to report disk usage for; default: every real (non-virtual) partition."""


class ProcessCheckConfig(CheckBase):
    """A watched process, matched by name, cmdline substring, pidfile or a systemd unit's MainPID;
    a pidfile or unit may be verified by a name or cmdline as well (a pid that does not match is
    a stale pidfile), and `user` narrows any of them to one user's processes."""

    type: Literal["process"]
    match_name: str | None = None
    """Exact process name (as in /proc/PID/comm)."""
    cmdline: str | None = None
    """Substring of the joined command line."""
    pidfile: str | None = None
    """The pid to watch. With `match_name` or `cmdline` too, the pid must also match them. Read
    only if a regular file owned by root, the daemon's user or `user`."""
    unit: UnitName | None = None
    """A systemd unit: the pid to watch is its MainPID (state unknown where systemd does not run)."""
    user: str | int | None = None
    """A user name or uid: only processes whose real uid is that user's match."""
    watch: bool = True
    """Register a pidfd with the event loop so that a death is seen at once, not at the next poll."""

    @model_validator(mode="after")
    def _one_matcher(self) -> ProcessCheckConfig:
        if self.match_name and self.cmdline:
            raise ValueError("match_name and cmdline exclude each other")
        if self.pidfile and self.unit:
            raise ValueError("pidfile and unit exclude each other")
        if not (self.pidfile or self.unit or self.match_name or self.cmdline):
            raise ValueError("one of match_name, cmdline, pidfile or unit is required")
        return self

    @property
    def pidfile_only(self) -> bool:
        """Nothing but a pidfile tells which process this is: any pid written there would do."""
        return bool(self.pidfile) and not (self.match_name or self.cmdline or self.user is not None)


class SystemdCheckConfig(CheckBase):
    type: Literal["systemd"]
    units: list[UnitName] = Field(min_length=1)


class HttpCheckConfig(CheckBase):
    type: Literal["http"]
    url: HttpUrl
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: list[int] = Field(default_factory=lambda: list(range(200, 400)))
    body_regex: str | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    """Header values are secrets: never logged, never sent to an LLM."""


class MetricSelector(StrictModel):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    """Only series whose labels include all of these are kept."""
    field: Name | None = None
    """Name of the sample field the value lands in; default: the metric name."""


class PrometheusCheckConfig(CheckBase):
    type: Literal["prometheus"]
    url: HttpUrl
    metrics: list[MetricSelector] = Field(min_length=1)
    max_bytes: int = Field(default=4 * 1024 * 1024, gt=0)


class PromqlQuery(StrictModel):
    name: Name
    query: str = Field(min_length=1)
    """A PromQL expression, evaluated as an instant query."""
    field: Name | None = None
    """Name of the sample field the value lands in; default: the query's name."""


PROMQL_OWN_FIELDS = frozenset({"ok", "error", "query_ms"})


class PromqlCheckConfig(CheckBase):
    type: Literal["promql"]
    url: HttpUrl
    """Base URL of the Prometheus server (the query goes to <url>/api/v1/query)."""
    queries: list[PromqlQuery] = Field(min_length=1)
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    """Header values are secrets (e.g. a bearer token): never logged, never sent to an LLM."""
    max_series: int = Field(default=100, gt=0)
    """More series than this in one answer is an error, not that many targets."""
    max_bytes: int = Field(default=4 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _distinct_fields(self) -> PromqlCheckConfig:
        names = [q.name for q in self.queries]
        fields = [q.field or q.name for q in self.queries]
        written = fields + [f"{f}_series" for f in fields]
        clashes = {n for n in written if n in PROMQL_OWN_FIELDS or written.count(n) > 1}
        if len(set(names)) != len(names) or clashes:
            detail = f"; fields clash: {', '.join(sorted(clashes))}" if clashes else ""
            raise ValueError(f"queries need distinct names and fields{detail}")
        return self


class AlertmanagerCheckConfig(CheckBase):
    """Alerts pushed by Alertmanager's webhook to the API's /api/v1/alerts (api.enabled)."""

    type: Literal["alertmanager"]
    match_labels: dict[str, str] = Field(default_factory=dict)
    """Only alerts whose labels include all of these reach this check."""
    max_alerts: int = Field(default=1000, ge=1)
    """Alerts kept at once (one per fingerprint). When full, a new one evicts an expired alert
    first, then a resolved one, then the firing alert notified least recently (counted)."""
    resolved_retention: Duration = 3600.0
    """How long a resolved alert is still reported (as firing == false)."""


CheckConfig = Annotated[
    HostCheckConfig
    | ProcessCheckConfig
    | SystemdCheckConfig
    | HttpCheckConfig
    | PrometheusCheckConfig
    | PromqlCheckConfig
    | AlertmanagerCheckConfig
    | TcpCheckConfig
    | FilesystemCheckConfig
    | ProgramCheckConfig
    | DirectoryCheckConfig
    | NetworkCheckConfig
    | FileCheckConfig
    | FifoCheckConfig,
    Field(discriminator="type"),
]
