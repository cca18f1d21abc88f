"""The candidates for an incident: the rule's remedies that apply to its target; where the rule
configures none, every whitelisted action that applies (such a proposal always needs approval).
Notification sinks (webhooks, e-mail) are never candidates for healing."""

from __future__ import annotations

import logging
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


def candidates_for(
    rule: Rule,
    target: str,
    actions: dict[str, Action],
    configs: dict[str, ActionConfig],
    queries: ActionHistory,
    signature: str,
) -> list[Candidate]:
    from_rule = bool(rule.remedies)
    names = rule.remedies if from_rule else [n for n, c in configs.items() if _may_heal(c, target)]
    rates = _recorded_rates(queries, signature) if names else {}
    out = []
    for name in names:
        if not actions[name].applies_to(target):
            continue
        ok, tries = rates.get(name, (0, 0))
        cfg = configs[name]
        out.append(Candidate(name, cfg.type, describe(cfg), cfg.risk, from_rule, ok, tries))
    return out


def _recorded_rates(queries: ActionHistory, signature: str) -> dict[str, tuple[int, int]]:
    """What worked before; nothing when the base cannot say now (the rule's order decides)."""
    try:
        return queries.success_rates(signature)
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
