"""The evidence tests serve HTTP on loopback the way the monitor tests do."""

from __future__ import annotations

from tests.monitor.conftest import serve

__all__ = ["serve"]
