"""The fleet as the daemon holds it: the view the loop reads and the thread that feeds it."""

from __future__ import annotations

from pathlib import Path

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.leases import Leases
from mapekd.fleet.view import FleetView
from mapekd.fleet.worker import FleetWorker


class Fleet:
    def __init__(self, config: FleetConfig, base: Path) -> None:
        self.leases = Leases(config)
        self.view = FleetView(config, self.leases)
        self.worker = FleetWorker(config, base, self.view)

    @classmethod
    def start(cls, config: FleetConfig, base: Path) -> Fleet:
        """Starts replicating at once; returns without waiting for PostgreSQL."""
        fleet = cls(config, base)
        fleet.worker.start()
        fleet.leases.start()
        return fleet

    def stop(self) -> None:
        self.leases.stop()
        self.worker.stop()
