"""The one Settings object: built once by the loader and passed explicitly everywhere."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from mapekd.config.actions import (
    ActionConfig,
    EmailActionConfig,
    SignalActionConfig,
    WebhookActionConfig,
)
from mapekd.config.api import ApiConfig
from mapekd.config.base import Name, StrictModel, section
from mapekd.config.checks import CheckConfig, HostCheckConfig, ProcessCheckConfig
from mapekd.config.dependencies import check_dependencies
from mapekd.config.durations import Duration
from mapekd.config.evidence import EvidenceConfig
from mapekd.config.fleet import FleetConfig
from mapekd.config.rules import RuleConfig
from mapekd.errors import ConfigError
from mapekd.llm.config import LLMSettings

RESERVED_ACTION_NAMES = frozenset({"none", "escalate"})
"""What a plan may answer instead of an action name: no action may be called so."""


def _default_checks() -> list[CheckConfig]:
    return [HostCheckConfig(name="host", type="host")]


class DaemonConfig(StrictModel):
    interval: Annotated[Duration, Field(gt=0)] = 10.0
    """How often a check without its own `interval` is collected. Watched processes, pushed
    alerts and verifications are collected at once, between these."""
    dry_run: bool = False
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace: Duration = 30.0
    """On SIGTERM, how long an in-flight action may take to finish before it is recorded as
    interrupted."""
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    """`auto`: uvloop where installed (less CPU per cycle), else asyncio's own loop."""


class MaintenanceWindow(StrictModel):
    """A window opens at each time of a cron expression and stays open for `duration`."""

    cron: str
    """Five fields (minute hour day month weekday), e.g. `0 2 * * mon-fri`."""
    duration: Duration
    timezone: str | None = None
    """The cron expression's time zone (an IANA name); default the host's."""

    @model_validator(mode="after")
    def _valid_cron(self) -> MaintenanceWindow:
        from mapekd.plan.windows import trigger_of  # APScheduler's parser, only when windows exist

        trigger_of(self)
        return self


class PolicyConfig(StrictModel):
    """Guards on acting. The action counter is per target and counts executions (real or
    would_execute) started within the trailing `window`; it never resets by itself otherwise:
    each execution ages out `window` after it started. When an incident would exceed
    `max_actions`, it is marked gave_up, the daemon stops acting on it and escalates."""

    cooldown: Duration = 30.0
    """Minimum time between two actions on the same target."""
    max_actions: int = Field(default=3, ge=1)
    window: Duration = 600.0
    escalate: Name | None = None
    """A webhook or email action notified once when an incident gives up (a notification sink:
    only those may escalate; delivered in the background, retried, recorded)."""
    prefer_knowledge: bool = True
    """Choose the remedy with the best recorded success rate for the signature."""
    max_in_flight: int = Field(default=4, ge=1)
    """Remedies running at once, all actions together (one at a time per effect, always)."""
    max_executions: int = Field(default=30, ge=1)
    """Remedies started per `window`, all actions and targets together: past it the daemon waits
    (a flood of distinct incidents cannot turn into a flood of actions)."""
    windows: list[MaintenanceWindow] = Field(default_factory=list)
    """Maintenance windows. With any configured, a medium-risk remedy outside a window waits for
    the next window or for an approval, whichever comes first; high-risk ones always need an
    approval; low-risk ones act at once. None configured: remedies act whenever needed."""
    relapse_watch: Duration = Field(default=0.0, ge=0)
    """A remedy's success is watched over its rule's window (`for`, `within` or `window`), and
    at least this long (at most `window`): when the rule fires again meanwhile, the outcome is
    `relapsed`, not `resolved`. 0 and a rule without a window: the one sample after the settle
    time decides."""
    max_relapses: int = Field(default=2, ge=1)
    """A signature whose remedies relapsed this many times within `window` is flapping: its next
    incident is not remedied again but escalates (gave_up)."""


class PlanConfig(StrictModel):
    """How a decision is made: knowledge first, then the LLM where there is a real choice, then
    the rule's own remedy order. The LLM proposes; these guards dispose."""

    llm: Literal["auto", "always", "never"] = "auto"
    """auto: a rule with exactly one low-risk remedy acts at once (the analysis runs afterwards);
    the LLM decides where there is a choice (several candidates, medium or high risk, no remedy
    configured). always: the LLM plans every decision knowledge and the cause class do not
    settle. never: no LLM."""
    knowledge_min_successes: int = Field(default=3, ge=1)
    """A remedy that resolved this signature at least this many times ..."""
    knowledge_min_rate: float = Field(default=0.8, ge=0.0, le=1.0)
    """... with at least this success rate is chosen from knowledge, with no LLM call."""
    override_min_tries: int = Field(default=3, ge=1)
    override_max_rate: float = Field(default=0.34, ge=0.0, le=1.0)
    """An LLM choice tried at least `override_min_tries` times on this signature with a success
    rate below this is overridden: the best-known remedy is taken instead, or it escalates."""
    approval_ttl: Duration = 900.0
    """How long a decision waits for `mapekd approve`; on expiry nothing runs."""
    analyze: bool = True
    """Ask the LLM for an analysis of each incident (attached to it; never delays an action)."""
    analysis_per_hour: int = Field(default=12, ge=0)
    """At most this many analyses asked of the LLM in any hour; past it one is skipped (logged)."""
    analysis_reuse: Duration = 3600.0
    """One analysis per cause fingerprint (or, without evidence, per incident kind: rule and
    target) within this long: a repeat reuses the recorded grounded one, not asking again."""
    analysis_style: Literal["auto", "structured", "prose"] = "auto"
    """structured: a cause class from a fixed list, the cited evidence ids and a suggested
    candidate (for small models); prose: a written analysis; auto: structured where the model
    asked first is one that can rank (the local model), prose otherwise."""
    rank: bool = True
    """Where the plan's model can rank (the local model), choose by its likelihood of each
    candidate blended with knowledge instead of letting it write an answer; false: it writes."""


class RedactionConfig(StrictModel):
    """What is masked in prompts before they leave the process, besides every configured secret
    and the tokens, keys and passwords found in command lines and URLs (always)."""

    mask_ips: bool = False
    """IPv4 addresses become `<ip-1>`, `<ip-2>`... (mapped back in the model's answer)."""
    mask_hostnames: bool = False
    """Host names (this machine's, the configuration's URLs', fully qualified names) become
    `<host-1>`..., mapped back in the answer."""
    hostnames: list[str] = Field(default_factory=list)
    """More names to mask whenever `mask_hostnames` is on."""
    other_processes: Literal["names", "none", "full"] = "names"
    """The host's processes in the analysis prompt, besides the watched ones (shown whole):
    names (name, pid, CPU, memory; no command line: it may hold another user's secret), none
    (only counted), full (with command lines, redacted like the rest of the prompt)."""


NoticeEvent = Literal["gave_up", "escalated", "approval_needed", "action_failed", "resolved_after_failure"]


NOTICE_SINK_CONFIGS = (WebhookActionConfig, EmailActionConfig)
"""Actions that can carry a notice to people."""


class NotificationsConfig(StrictModel):
    """Notices to webhook and email actions (sinks), delivered off the loop's path, retried with backoff,
    each delivery recorded in the knowledge base as an execution of kind `notify`."""

    sinks: list[Name] = Field(default_factory=list)
    """Webhook or email actions that receive the notices below (`format: slack` for Slack)."""
    events: list[NoticeEvent] = Field(default_factory=lambda: list(get_args(NoticeEvent)))
    attempts: int = Field(default=5, ge=1, le=20)
    backoff: Duration = 1.0
    """Wait before the second attempt; doubled after each failure, up to `max_backoff`."""
    max_backoff: Duration = 60.0


class KnowledgeConfig(StrictModel):
    path: str = "var/mapekd.db"
    sample_retention: Duration = 86400.0
    """Samples older than this are deleted; incidents and their timelines are kept."""
    record_samples: bool = False
    """Store every sample of every cycle in the `samples` table (one transaction per cycle). Off
    by default: rules work from memory, and a write per cycle is most of what an idle loop costs."""
    retention: Duration = 90 * 86400.0
    """Resolved incidents older than this are deleted with all their rows by the maintenance job."""
    maintenance: str = "30 3 * * *"
    """When the maintenance job runs: a 5-field cron expression in the host's time zone (prune
    incidents, API jobs and samples, checkpoint the WAL, optimize, reload the runbooks)."""
    fleet: FleetConfig | None = None
    """Knowledge shared with other hosts through PostgreSQL (config/fleet.py); None: this host alone."""

    @field_validator("maintenance")
    @classmethod
    def _cron(cls, value: str) -> str:
        from mapekd.schedule.cron import cron_trigger  # APScheduler only once a config is read

        cron_trigger(value)  # raises ValueError naming what is wrong
        return value


class Settings(StrictModel):
    daemon: DaemonConfig = section()
    checks: list[CheckConfig] = Field(default_factory=_default_checks)
    rules: list[RuleConfig] = Field(default_factory=list)
    actions: list[ActionConfig] = Field(default_factory=list)
    policy: PolicyConfig = section()
    knowledge: KnowledgeConfig = section()
    notifications: NotificationsConfig = section()
    plan: PlanConfig = section()
    redaction: RedactionConfig = section()
    llm: LLMSettings = section()
    api: ApiConfig = section()
    evidence: EvidenceConfig = section()

    # Raises ConfigError (not ValueError) so that pydantic lets it through with its exact key path.
    @model_validator(mode="after")
    def _references_resolve(self) -> Settings:
        _unique("checks", [c.name for c in self.checks])
        _unique("rules", [r.name for r in self.rules])
        _unique("actions", [a.name for a in self.actions])
        for i, action in enumerate(self.actions):
            if action.name in RESERVED_ACTION_NAMES:
                raise ConfigError(
                    f"{action.name!r} is reserved: a plan answers it to mean no action or escalation",
                    path=f"actions[{i}].name",
                )
        check_dependencies(self.checks)
        checks = {c.name: c for c in self.checks}
        actions = {a.name for a in self.actions}
        for i, rule in enumerate(self.rules):
            if rule.check not in checks:
                raise ConfigError(f"unknown check {rule.check!r}", path=f"rules[{i}].check")
            for remedy in rule.remedies:
                if remedy not in actions:
                    raise ConfigError(f"unknown action {remedy!r}", path=f"rules[{i}].remedies")
        for i, action in enumerate(self.actions):
            if isinstance(action, SignalActionConfig):
                _signal_target_is_verified(checks.get(action.check), action.check, f"actions[{i}].check")
        sinks = [("policy.escalate", self.policy.escalate)] if self.policy.escalate else []
        sinks += [(f"notifications.sinks[{i}]", n) for i, n in enumerate(self.notifications.sinks)]
        notifiers = {a.name for a in self.actions if isinstance(a, NOTICE_SINK_CONFIGS)}
        for path, name in sinks:
            if name not in actions:
                raise ConfigError(f"unknown action {name!r}", path=path)
            if name not in notifiers:
                raise ConfigError(
                    f"{name!r} is not a webhook action or an email action: only those notify", path=path
                )
        return self

    def check(self, name: str) -> CheckConfig:
        return next(c for c in self.checks if c.name == name)

    def action(self, name: str) -> ActionConfig:
        return next(a for a in self.actions if a.name == name)


def _signal_target_is_verified(check: CheckConfig | None, name: str, path: str) -> None:
    """A signal reaches only a process a check identified by more than a pid in a file."""
    if not isinstance(check, ProcessCheckConfig):
        raise ConfigError(f"{name!r} is not a process check", path=path)
    if check.pidfile_only:
        raise ConfigError(
            f"process check {name!r} matches by pidfile only: a signal action needs it to name "
            "match_name, cmdline or user too (a stale or forged pidfile could name any process)",
            path=path,
        )


def _unique(section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ConfigError(f"duplicate name {name!r}", path=f"{section}[{i}].name")
        seen.add(name)
