"""The end-to-end test here runs `mapekd run` with the e2e suite's process fixture."""

from tests.e2e.conftest import daemons

__all__ = ["daemons"]
