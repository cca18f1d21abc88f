"""The candidates for an incident: the rule's remedies that apply to its target; where the rule
configures none, every whitelisted action that applies (such a proposal always needs approval).
Notification sinks (webhooks, e-mail) are never candidates for healing."""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

from mapekd.analyze.rules.base import Rule
from mapekd.config.actions import (
    ActionConfig,
    EmailActionConfig,
    SignalActionConfig,
    WebhookActionConfig,
)
from mapekd.errors import StoreError
from mapekd.execute.base import Action
from mapekd.knowledge.base import ActionHistory
from mapekd.plan.proposal import Candidate

log = logging.getLogger("mapekd.decision")


class FleetAdvice(Protocol):
    def annotate(
        self, signature: str, target: str, fingerprint: str | None, candidates: list[Candidate]
    ) -> list[Candidate]:
        """The candidates, each with the fleet's record (Candidate.fleet_*)."""
        ...


def candidates_for(
    rule: Rule,
    target: str,
    actions: dict[str, Action],
    configs: dict[str, ActionConfig],
    queries: ActionHistory,
    signature: str,
    fingerprint: str | None = None,
) -> list[Candidate]:
    """`fingerprint`: the incident's cause, when known: each candidate also carries its record
    for this cause."""
    from_rule = bool(rule.remedies)
    names = rule.remedies if from_rule else [n for n, c in configs.items() if _may_heal(c, target)]
    causes = _recorded(queries, signature) if names else {}
    rates = signature_rates(causes)
    for_cause = causes.get(fingerprint, {}) if fingerprint else {}
    out = []
    for name in names:
        if not actions[name].applies_to(target):
            continue
        cfg = configs[name]
        candidate = Candidate(
            name,
            cfg.type,
            describe(cfg),
            cfg.risk,
            from_rule,
            *rates.get(name, (0, 0)),
            *for_cause.get(name, (0, 0)),
            tuple(cfg.treats),
        )
        out.append(candidate)
    return out


def signature_rates(causes: dict[str | None, dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    """The signature's record per action: its records per cause (known or not) summed."""
    total: dict[str, tuple[int, int]] = {}
    for per_action in causes.values():
        for action, (ok, n) in per_action.items():
            before = total.get(action, (0, 0))
            total[action] = (before[0] + ok, before[1] + n)
    return total


def _recorded(queries: ActionHistory, signature: str) -> dict[str | None, dict[str, tuple[int, int]]]:
    """What worked before, per cause; nothing when the base cannot say now (the rule's order
    decides)."""
    try:
        return queries.cause_rates(signature)
    except StoreError as exc:
        log.warning(
            "no success rates: the knowledge base cannot be read",
            extra={"event": {"event": "knowledge_unreadable", "error": str(exc)}},
        )
        return {}


def _may_heal(config: ActionConfig, target: str) -> bool:
    if isinstance(config, WebhookActionConfig | EmailActionConfig):
        return False  # a notice to people heals nothing
    if isinstance(config, SignalActionConfig):
        return target == f"process:{config.check}"
    return True


def describe(config: ActionConfig) -> str:
    if config.description:
        return config.description
    match config.type:
        case "systemd":
            return f"systemctl {config.verb} of the incident's unit (allowed: {', '.join(config.units)})"
        case "signal":
            return f"send {config.signal} to the processes of check {config.check}"
        case "command":
            return f"run {config.argv[0]}" + (" (starts a long-running service)" if config.detach else "")
        case "email":
            return f"e-mail the incident to {', '.join(config.to)}"
        case _:
            return f"POST the incident to {urlsplit(config.url).hostname}"
