"""The fleet section of `mapekd report --html` (knowledge.fleet configured): hosts with when they
were last seen and their replication lag, quarantined remedies, the fleet's success table; with
PostgreSQL unreachable the page still comes, saying so; without a fleet there is no section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mapekd.cli.main import main
from tests.cli.kbdata import fill
from tests.conftest import free_port
from tests.fleet.conftest import pg_url, postgres  # noqa: F401 - the fleet's PostgreSQL fixtures
from tests.report.fleetdata import two_hosts


def report(tmp_path: Path, db: Path, fleet: dict[str, Any] | None) -> str:
    config = tmp_path / "mapekd.yaml"
    knowledge: dict[str, Any] = {"path": str(db)}
    if fleet is not None:
        knowledge["fleet"] = fleet
    config.write_text(yaml.safe_dump({"knowledge": knowledge}))
    out = tmp_path / "report.html"
    assert main(["report", "--config", str(config), "--html", str(out)]) == 0
    return out.read_text()


def cells(page: str, row_class: str) -> list[list[str]]:
    rows = re.findall(rf'<tr class="{row_class}">(.*?)</tr>', page)
    return [re.findall(r"<td>([^<]*)</td>", row) for row in rows]


def test_without_a_fleet_the_report_has_no_fleet_section(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    assert 'id="fleet"' not in report(tmp_path, db, None)


def test_an_unreachable_fleet_is_said_and_the_rest_of_the_report_is_written(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    url = f"postgresql://web_c@127.0.0.1:{free_port()}/fleet"
    page = report(tmp_path, db, {"url": url, "host_id": "web_c", "connect_timeout": "1s"})
    assert 'id="fleet"' in page and 'id="worst"' in page
    assert "this host (web_c): not replicated yet" in page
    assert "fleet unavailable: cannot connect" in page


def test_the_fleet_section_shows_hosts_quarantines_and_the_success_table(
    pg_url: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    page = report(tmp_path, two_hosts(pg_url, tmp_path), {"url": pg_url, "host_id": "a"})
    hosts = cells(page, "fleet-host")
    assert [h[0] for h in hosts] == ["a", "b"]
    assert all(h[1].endswith("s ago") and h[2].endswith("s") for h in hosts), hosts
    assert cells(page, "quarantined") == [["restart_web", "process:web", "2"]]
    assert cells(page, "fleet-record") == [
        ["web_down@process:web", "kill_web", "1", "2", "2"],
        ["web_down@process:web", "restart_web", "2", "0", "2"],
    ]
