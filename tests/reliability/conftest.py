"""The end-to-end fixtures (a demo service, daemons stopped at the end) for the reliability suites."""

from tests.e2e.conftest import daemons, service  # noqa: F401 (fixtures, registered by import)
