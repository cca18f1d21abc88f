"""From a check's configuration to the check: one registry entry per `type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

import httpx

from mapekd.config.checks import CheckBase, CheckConfig
from mapekd.errors import ConfigError
from mapekd.monitor.alerts import AlertmanagerCheck
from mapekd.monitor.base import Check
from mapekd.monitor.host import HostCheck
from mapekd.monitor.http import HttpCheck
from mapekd.monitor.process import ProcessCheck
from mapekd.monitor.prometheus import PrometheusCheck
from mapekd.monitor.promql import PromqlCheck
from mapekd.monitor.systemd import SystemdCheck


class CheckClass(Protocol):
    """What a registered class offers: a constructor from its config model."""

    def from_config(self, config: CheckBase, *, http: httpx.AsyncClient) -> Check: ...


CHECK_TYPES: Final[Mapping[str, CheckClass]] = {
    "host": HostCheck,
    "process": ProcessCheck,
    "systemd": SystemdCheck,
    "http": HttpCheck,
    "prometheus": PrometheusCheck,
    "promql": PromqlCheck,
    "alertmanager": AlertmanagerCheck,
}
"""Config `type` -> check class. Read only: a new check type is a new entry here."""


def build_check(config: CheckConfig, *, http: httpx.AsyncClient) -> Check:
    """The check a validated config describes; `http` is the daemon's shared client."""
    check_class = CHECK_TYPES.get(config.type)
    if check_class is None:
        known = ", ".join(sorted(CHECK_TYPES))
        raise ConfigError(
            f"unknown check type {config.type!r} (known: {known})",
            path=f"checks.{config.name}.type",
        )
    return check_class.from_config(config, http=http)
