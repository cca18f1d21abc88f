"""The Monitor: checks that observe the host and its services and return Samples."""

from mapekd.monitor.base import Check, Watcher, collect_safely
from mapekd.monitor.registry import CHECK_TYPES, build_check

__all__ = ["CHECK_TYPES", "Check", "Watcher", "build_check", "collect_safely"]
