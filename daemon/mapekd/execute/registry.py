"""Action types by configuration `type`; building one never runs anything."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mapekd.config.actions import ActionConfig
from mapekd.errors import ConfigError
from mapekd.execute.actions.command import CommandAction
from mapekd.execute.actions.signal import ObservedLookup, SignalAction
from mapekd.execute.actions.systemd import SystemdAction
from mapekd.execute.base import Action
from mapekd.shared_http import SharedHttp


@dataclass(frozen=True)
class ActionDeps:
    http: SharedHttp
    base_env: Mapping[str, str]
    observed_of: ObservedLookup


def _webhook(config: Any, deps: ActionDeps) -> Action:
    # Imported here: it needs httpx, which a daemon without webhooks never loads (shared_http.py).
    from mapekd.execute.actions.webhook import WebhookAction

    return WebhookAction(config, http=deps.http)


def _email(config: Any, deps: ActionDeps) -> Action:
    from mapekd.notify.email_sink import EmailAction  # smtplib and ssl only where mail is configured

    return EmailAction(config)


ACTION_TYPES: dict[str, Callable[[Any, ActionDeps], Action]] = {
    "command": lambda c, d: CommandAction(c, base_env=d.base_env),
    "systemd": lambda c, d: SystemdAction(c, base_env=d.base_env),
    "signal": lambda c, d: SignalAction(c, observed_of=d.observed_of),
    "webhook": _webhook,
    "email": _email,
}


def build_action(config: ActionConfig, deps: ActionDeps) -> Action:
    try:
        builder = ACTION_TYPES[config.type]
    except KeyError:
        raise ConfigError(
            f"unknown action type {config.type!r}", path=f"actions.{config.name}.type"
        ) from None
    return builder(config, deps)
