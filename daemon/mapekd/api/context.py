"""What the API is built from (ApiContext) and the two seams it reads through: the healing loop
(LoopView, absent in `mapekd gateway`) and the approvals of the knowledge base (ApprovalQueue)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from prometheus_client import CollectorRegistry

from mapekd.config.api import ApiConfig
from mapekd.knowledge.base import Store
from mapekd.llm.gateway import Gateway
from mapekd.monitor.alert_model import Alert


class LoopView(Protocol):
    """The running healing loop, as the API sees it: all the API knows of it (the daemon's
    implementation, DaemonView, lives beside the runner; the API imports neither)."""

    @property
    def interval(self) -> float:
        """`daemon.interval`: how often a check without an interval of its own is collected."""
        ...

    def last_cycle_at(self) -> float | None:
        """Unix time a check group last completed a collection; None before the first."""
        ...

    def late_groups(self, allowance: Callable[[float], float]) -> list[str]:
        """The check groups whose last completed collection is older than `allowance(interval)`."""
        ...

    def jobs(self) -> list[dict[str, Any]]:
        """Each scheduled job: its id, trigger and next run (Unix time)."""
        ...

    def checks(self) -> list[dict[str, Any]]:
        """Per configured check: name, type, and the state of its targets at the last sample."""
        ...

    def push_alerts(self, alerts: Sequence[Alert]) -> int:
        """Hand alerts to the alertmanager checks (which kick a cycle); how many checks took them."""
        ...


@runtime_checkable
class ApprovalQueue(Protocol):
    """Approvals waiting for a person (the knowledge base implements it)."""

    def pending_approvals(self) -> list[dict[str, Any]]: ...

    def decide_approval(self, approval_id: int, approve: bool, by: str) -> str:
        """The new state, 'approved' or 'denied'; ApprovalError when it cannot be decided."""
        ...


class FleetStatus(Protocol):
    """The fleet this host shares its knowledge with (knowledge.fleet), as `mapekd fleet status`
    shows it: this host's outbox, hosts, lag, quarantined remedies, the success table."""

    async def status(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ApiContext:
    config: ApiConfig
    gateways: Callable[[], Gateway]
    """The current gateway: the daemon builds a new one on each reload."""
    registry: CollectorRegistry
    """Served at /metrics."""
    store: Store
    loop: LoopView | None = None
    """None: gateway-only mode (`mapekd gateway`), no healing loop."""
    approvals: ApprovalQueue | None = None
    fleet: FleetStatus | None = None
    """None: this host is in no fleet."""

    @property
    def gateway(self) -> Gateway:
        return self.gateways()
