"""PostgreSQL for the fleet's tests: one server for the session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fleet.pg import Postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres().init().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh, empty database on the session's server (as its superuser)."""
    return postgres.url(postgres.create_database())
