"""/api/v1/fleet, read by the live page's fleet section: 404 for a host in no fleet; with
PostgreSQL unreachable, this host's outbox and the error; with the fleet up, its hosts,
quarantined remedies and success table, read at most once per cache period."""

from __future__ import annotations

from pathlib import Path

from mapekd.api.live_fleet import CachedFleetStatus
from mapekd.config.fleet import FleetConfig
from tests.api.harness import READ, Api
from tests.conftest import free_port
from tests.fleet.conftest import pg_url, postgres  # noqa: F401 - the fleet's PostgreSQL fixtures
from tests.report.fleetdata import RESOLVED, share_outcomes, two_hosts


def config(url: str, host: str = "a") -> FleetConfig:
    return FleetConfig.model_validate({"url": url, "host_id": host, "connect_timeout": "1s"})


async def test_a_host_in_no_fleet_answers_404(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        response = await api.client.get("/api/v1/fleet", headers=api.headers(READ))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_configured"


async def test_an_unreachable_fleet_answers_with_this_hosts_outbox_and_the_error(tmp_path: Path) -> None:
    fleet = CachedFleetStatus(config(f"postgresql://a@127.0.0.1:{free_port()}/fleet"), tmp_path / "kb.db")
    async with Api(tmp_path, fleet=fleet) as api:
        assert (await api.client.get("/api/v1/fleet")).status_code == 401
        body = (await api.client.get("/api/v1/fleet", headers=api.headers(READ))).json()
        assert body["outbox"]["host_id"] == "a"
        assert body["error"].startswith("cannot connect")


async def test_the_fleet_is_served_and_read_once_per_period(
    pg_url: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    fleet = CachedFleetStatus(config(pg_url), two_hosts(pg_url, tmp_path), ttl=3600)
    async with Api(tmp_path, fleet=fleet) as api:
        body = (await api.client.get("/api/v1/fleet", headers=api.headers(READ))).json()
        assert body["error"] is None
        assert [h["host_id"] for h in body["hosts"]] == ["a", "b"]
        assert body["quarantined"] == [{"action": "restart_web", "target": "process:web", "hosts": 2}]
        assert {(r["action"], r["successes"], r["tries"]) for r in body["record"]} == {
            ("kill_web", 2, 2),
            ("restart_web", 0, 2),
        }
        share_outcomes(pg_url, tmp_path / "c.db", "c", [RESOLVED])
        again = (await api.client.get("/api/v1/fleet", headers=api.headers(READ))).json()
        assert again == body, "within the cache period the fleet is not asked again"
