"""Configuration of the whitelisted actions. Nothing that is not configured here can ever run."""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, SecretStr, StringConstraints, field_validator, model_validator

from mapekd.config.base import HttpUrl, Name, StrictModel, UnitName
from mapekd.config.durations import Duration
from mapekd.evidence.classify import CauseClass

MailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}$")
]
"""A bare address (no display name): it goes into SMTP commands and headers as written."""

PLACEHOLDERS = frozenset({"check", "rule", "target", "pid", "unit", "incident"})
"""The only names a command's argv may refer to; each is filled from a validated field."""

SIGNALS = Literal[
    "SIGTERM", "SIGKILL", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCONT", "SIGSTOP"
]


class ActionBase(StrictModel):
    name: Name
    timeout: Duration = 30.0
    settle: Duration = 5.0
    """How long after the action the triggering rule is re-evaluated to record the outcome."""
    risk: Literal["low", "medium", "high"] = "low"
    """High-risk actions always wait for an approval, whoever proposes them."""
    description: str | None = None
    """What the action does, in one line, for people and for the plan prompt."""
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    """An LLM proposal of this action with a lower stated confidence is not acted on."""
    max_risk: Literal["low", "medium", "high"] = "medium"
    """An LLM proposal of this action that it rates riskier than this waits for an approval."""
    max_in_flight: int | None = Field(default=None, ge=1)
    """At most this many executions of this action at once (besides `policy.max_in_flight`)."""
    max_executions: int | None = Field(default=None, ge=1)
    """At most this many executions of this action per `policy.window`, whatever their targets."""
    treats: list[CauseClass] = Field(default_factory=list, max_length=9)
    """The cause classes this remedy fixes (read from the evidence, see evidence/classify.py);
    empty: any cause. When a rule's remedies declare them, an incident whose cause is known gets
    only the remedies that treat it, and escalates when none does."""


class SystemdActionConfig(ActionBase):
    type: Literal["systemd"]
    verb: Literal["restart", "start", "stop", "reload"]
    units: list[UnitName] = Field(min_length=1)
    """Allowlist: the unit acted on is the incident's unit, and it must be one of these."""
    any_target: bool = False
    """With exactly one unit: also act on that unit for incidents whose target is not a unit (an
    HTTP check of the service, say). Off by default: an action allowed on one unit must not
    become a remedy for every alert and series on the host."""


class SignalActionConfig(ActionBase):
    type: Literal["signal"]
    check: Name
    """A `process` check: the signal goes only to the processes it currently matches."""
    signal: SIGNALS = "SIGTERM"


class CommandActionConfig(ActionBase):
    type: Literal["command"]
    argv: list[str] = Field(min_length=1)
    """Executed directly, never through a shell. Placeholders: {check} {rule} {target} {pid}
    {unit} {incident}, each filled only from a validated field."""
    cwd: str | None = None
    env: dict[str, SecretStr] = Field(default_factory=dict)
    detach: bool = False
    """Start a long-running service: it gets its own session and outlives the action; success
    means it is still running after `detach_grace`."""
    detach_grace: Duration = 0.5
    transient_scope: bool = True
    """Under systemd, start a detached service in a transient scope of its own
    (`systemd-run --scope --unit=mapekd-<action>-<incident>.scope`), outside mapekd's cgroup, so
    that stopping or restarting mapekd leaves it running. As a non-root user this needs the rule
    from `mapekd install-polkit`, which polkit can match on the scope's name from systemd 257 on.
    false: the service stays in mapekd's cgroup, in its own session (the shipped unit's
    KillMode=process still lets it outlive mapekd)."""
    log_file: str | None = None
    """Where a detached service writes stdout/stderr (default: discarded)."""

    @field_validator("argv")
    @classmethod
    def _known_placeholders(cls, argv: list[str]) -> list[str]:
        for arg in argv:
            for _, name, spec, conv in string.Formatter().parse(arg):
                if name is None:
                    continue
                if name not in PLACEHOLDERS or spec or conv:
                    raise ValueError(
                        f"unknown placeholder {{{name}}}; allowed: {', '.join(sorted(PLACEHOLDERS))}"
                    )
        return argv


class WebhookActionConfig(ActionBase):
    type: Literal["webhook"]
    url: HttpUrl
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout: Duration = 10.0
    format: Literal["json", "slack"] = "json"
    """Payload of notifications sent through this webhook: generic JSON, or a Slack-compatible
    incoming-webhook message (`text` + `blocks`)."""


class EmailActionConfig(ActionBase):
    """Notices (and, as a remedy, the incident) sent by SMTP, one message per delivery."""

    type: Literal["email"]
    host: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.:_-]{1,253}$")]
    port: int = Field(default=587, ge=1, le=65535)
    from_: MailAddress = Field(alias="from")
    to: list[MailAddress] = Field(min_length=1, max_length=20)
    starttls: bool = True
    """Upgrade the connection with STARTTLS before anything else is said (the server's
    certificate and name are verified); without it the message crosses the network in clear."""
    ca_file: str | None = None
    """PEM file of the authorities trusted for the server's certificate; default: the system's."""
    username: str | None = None
    password: SecretStr | None = None
    """Keep it out of the file: set it in the environment as MAPEKD_ACTIONS__<NAME>__PASSWORD."""
    timeout: Duration = 10.0
    """Bounds every network step and the whole delivery."""
    max_body_chars: int = Field(default=16_000, ge=500, le=1_000_000)
    """A longer message body is cut there (the details of a notice can be long)."""

    @model_validator(mode="after")
    def _auth_over_tls(self) -> EmailActionConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError(
                "username and password go together (the password from the environment: "
                f"MAPEKD_ACTIONS__{self.name.upper()}__PASSWORD)"
            )
        if self.username is not None and not self.starttls:
            raise ValueError("a password is sent only over STARTTLS: set starttls: true")
        return self


ActionConfig = Annotated[
    SystemdActionConfig | SignalActionConfig | CommandActionConfig | WebhookActionConfig | EmailActionConfig,
    Field(discriminator="type"),
]
