"""Connections to the fleet's PostgreSQL, and psycopg's errors mapped into ours by type."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from mapekd.config.fleet import FleetConfig
from mapekd.errors import StoreError


class FleetError(StoreError):
    """The fleet's PostgreSQL could not be reached, or refused what was asked of it."""


class FleetUnreachable(FleetError):
    """No connection, or it broke (the server is down, restarting or cut off): retried later."""


@contextmanager
def mapped(what: str) -> Iterator[None]:
    """The boundary: psycopg's errors become FleetError, the transient ones FleetUnreachable."""
    try:
        yield
    except (psycopg.OperationalError, psycopg.errors.QueryCanceled) as exc:
        raise FleetUnreachable(f"{what}: {_first_line(exc)}") from exc
    except psycopg.Error as exc:
        raise FleetError(f"{what}: {_first_line(exc)}") from exc


def connect(config: FleetConfig, *, url: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection (each statement or explicit transaction stands alone) whose
    statements the server cancels past `statement_timeout`."""
    with mapped("cannot connect to the fleet's PostgreSQL"):
        return psycopg.connect(
            url or config.url,
            autocommit=True,
            connect_timeout=max(1, round(config.connect_timeout)),
            options=f"-c statement_timeout={int(config.statement_timeout * 1000)}",
            application_name=f"mapekd {config.host_id}",
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
