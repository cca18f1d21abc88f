"""From a check's configuration to the check: one registry entry per `type`.

An entry names the module of its class, imported when a check of that type is built: a daemon
without Prometheus checks never loads the exposition parser, one without HTTP checks,
webhooks or Prometheus never loads httpx (see shared_http.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, Protocol, cast

from mapekd.config.checks import CheckBase, CheckConfig
from mapekd.errors import ConfigError
from mapekd.monitor.base import Check

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp


class CheckClass(Protocol):
    """What a registered class offers: a constructor from its config model."""

    def from_config(self, config: CheckBase, *, http: SharedHttp) -> Check: ...


CHECK_TYPES: Final[Mapping[str, str]] = {
    "host": "mapekd.monitor.host:HostCheck",
    "process": "mapekd.monitor.process:ProcessCheck",
    "systemd": "mapekd.monitor.systemd:SystemdCheck",
    "http": "mapekd.monitor.http:HttpCheck",
    "prometheus": "mapekd.monitor.prometheus:PrometheusCheck",
    "promql": "mapekd.monitor.promql:PromqlCheck",
    "alertmanager": "mapekd.monitor.alerts:AlertmanagerCheck",
    "tcp": "mapekd.monitor.tcp:TcpCheck",
    "filesystem": "mapekd.monitor.filesystem:FilesystemCheck",
    "program": "mapekd.monitor.program:ProgramCheck",
    "directory": "mapekd.monitor.directory:DirectoryCheck",
    "network": "mapekd.monitor.network:NetworkCheck",
    "file": "mapekd.monitor.file:FileCheck",
    "fifo": "mapekd.monitor.fifo:FifoCheck",
}
"""Config `type` -> `module:class` of its check. Read only: a new check type is a new entry here."""


def check_class(check_type: str, *, name: str = "?") -> CheckClass:
    """The class of `check_type`; ConfigError (naming check `name`) for an unknown type."""
    where = CHECK_TYPES.get(check_type)
    if where is None:
        known = ", ".join(sorted(CHECK_TYPES))
        raise ConfigError(f"unknown check type {check_type!r} (known: {known})", path=f"checks.{name}.type")
    module, cls = where.split(":")
    return cast("CheckClass", getattr(importlib.import_module(module), cls))


def build_check(config: CheckConfig, *, http: SharedHttp) -> Check:
    """The check a validated config describes; `http` is the daemon's shared client."""
    return check_class(config.type, name=config.name).from_config(config, http=http)
