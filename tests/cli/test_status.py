"""`mapekd status`: from the knowledge base alone, live from the API, and degrading clearly."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from mapekd.cli.status import scheduled_jobs
from mapekd.config.api import ApiConfig
from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Sample
from mapekd.report.live_client import Endpoint, Live, endpoint, fetch
from mapekd.report.status import collect_status
from mapekd.schedule.cron import next_fire
from tests.cli.conftest import Run
from tests.cli.fake_api import TOKEN, serve
from tests.cli.kbdata import fill

CONFIG = """
daemon: {interval: 5s}
checks:
  - {name: host, type: host}
  - {name: web, type: process, match_name: web}
  - {name: db, type: process, match_name: db}
llm:
  providers: [{name: canned, type: offline, model: canned-1}]
  budgets: {daily: 2.0}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    path = tmp_path / "mapekd.yaml"
    path.write_text(CONFIG)
    return load_settings(path)


def with_samples(db: Path, now: float) -> None:
    store = SqliteStore(db)
    store.record_samples(
        [
            Sample(
                "host",
                "host:local",
                {"ok": True, "error": None, "cpu_percent": 12.345, "load1": 0.5},
                ts=now - 3,
            ),
            Sample("web", "process:web", {"ok": False, "error": "no such process"}, ts=now - 3),
            Sample("web", "process:web", {"ok": True, "error": None, "pid": 42}, ts=now - 60),
        ]
    )
    store.close()


def test_from_the_knowledge_base(tmp_path: Path, settings: Settings) -> None:
    db = tmp_path / "kb.db"
    now = fill(db)
    with_samples(db, now)
    report = collect_status(settings, db, Live(None, None, "the API is not enabled"), now)
    assert report["api"] == {"url": None, "live": False, "error": "the API is not enabled"}
    checks = {c["name"]: c for c in report["checks"]}
    assert (checks["host"]["state"], checks["host"]["value"]) == ("ok", "cpu_percent=12.35 load1=0.5")
    assert (checks["web"]["state"], checks["web"]["failing"]) == ("failing", ["process:web"])
    assert checks["web"]["value"] == "error: no such process"  # the newest sample, not the older ok one
    assert (checks["db"]["state"], checks["db"]["value"]) == ("unknown", "no recorded sample")
    assert report["daemon"]["source"] == "knowledge" and report["daemon"]["last_sample_age_s"] == 3.0
    assert [i["id"] for i in report["open_incidents"]] == [5, 6, 8]
    assert [(a["id"], a["action"], a["target"]) for a in report["pending_approvals"]] == [
        (1, "reboot", "process:db")
    ]
    counters = {c["target"]: c for c in report["counters"]}
    assert set(counters) == {"host:local", "host:other", "process:db", "host:/var", "process:web"}
    assert (counters["host:other"]["used"], counters["host:other"]["limit"]) == (1, 3)
    later = collect_status(settings, db, Live(None, None, "off"), now + 60)  # 12 cycles without a sample
    assert {c["name"]: c["state"] for c in later["checks"]} == {
        "host": "stale",
        "web": "stale",
        "db": "unknown",
    }
    assert report["llm"]["providers"] == [
        {"name": "canned", "type": "offline", "model": "canned-1", "breaker": None, "availability": None}
    ]
    assert (report["llm"]["spent_today"], report["llm"]["daily_limit"], report["llm"]["source"]) == (
        0.01,
        2.0,
        "knowledge",
    )


def test_live_from_the_api(tmp_path: Path, settings: Settings) -> None:
    db = tmp_path / "kb.db"
    now = fill(db)
    with serve(now) as url:
        live = fetch(Endpoint(url, TOKEN))
    assert live.error is None and live.url == url
    report = collect_status(settings, db, live, now)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["host"]["state"] == "ok" and checks["host"]["source"] == "api"
    assert (checks["web"]["state"], checks["web"]["failing"]) == ("failing", ["process:web"])
    assert checks["db"]["source"] == "knowledge"  # the API did not report it
    assert report["daemon"] == {
        "source": "api",
        "last_cycle_at": now - 2,
        "last_cycle_age_s": 2.0,
        "interval_s": 5.0,
    }
    assert report["llm"]["providers"][0]["breaker"] == "closed" and report["llm"]["spent_today"] == 0.5
    assert [i["id"] for i in report["open_incidents"]] == [5, 6, 8]  # the knowledge base has these


def test_every_failure_to_reach_the_api_is_a_reason(tmp_path: Path) -> None:
    with serve(0.0) as url:
        assert fetch(Endpoint(url, "wrong-token-0123456789")).error == "HTTP 401"
    assert fetch(Endpoint(url, TOKEN)).error == "unreachable (ConnectError)"  # the server is gone
    with serve(0.0, hold=True) as url:
        assert fetch(Endpoint(url, TOKEN), timeout=0.3).error == "no answer within 0.3s"


def test_where_the_api_is_and_which_token_to_use(tmp_path: Path) -> None:
    def api(*tokens: dict[str, object], **more: object) -> ApiConfig:
        config = {"enabled": True, "host": "0.0.0.0", "port": 8765, "allow_remote_plain_http": True}
        return ApiConfig.model_validate({**config, "tokens": list(tokens), **more})

    read = {"name": "ops", "rights": ["read"], "token": TOKEN}
    assert endpoint(api(read)) == Endpoint("http://127.0.0.1:8765", TOKEN)
    token_file = tmp_path / "ops.token"
    token_file.write_text(f"  {TOKEN}\n")
    by_file = endpoint(api({"name": "ops", "rights": ["read"], "token_file": str(token_file)}))
    assert by_file == Endpoint("http://127.0.0.1:8765", TOKEN)
    missing = endpoint(api({"name": "ops", "rights": ["read"], "token_file": str(tmp_path / "none")}))
    assert missing == "cannot read the token file of API token 'ops': No such file or directory"
    assert endpoint(ApiConfig()) == "the API is not enabled (api.enabled)"


def test_status_never_sends_a_token_with_more_than_the_read_right(tmp_path: Path) -> None:
    """Whatever answers on the port (another user's process, if the daemon could not bind it)
    must not get a token that approves actions or pushes alerts."""
    approver = {"name": "ops", "rights": ["read", "approve"], "token": "approver-token-0000000001"}
    reader = {"name": "viewer", "rights": ["read"], "token": "reader-token-000000000002"}
    config = {"enabled": True, "port": 8765}
    only_approver = ApiConfig.model_validate({**config, "tokens": [approver]})
    assert endpoint(only_approver) == (
        "no API token with only the read right is configured (api.tokens): not asked"
    )
    both = ApiConfig.model_validate({**config, "tokens": [approver, reader]})
    assert endpoint(both) == Endpoint("http://127.0.0.1:8765", "reader-token-000000000002")


def test_status_prefers_the_unix_socket(tmp_path: Path) -> None:
    sock = str(tmp_path / "api.sock")
    reader = {"name": "viewer", "rights": ["read"], "token": TOKEN}
    config = ApiConfig.model_validate({"enabled": True, "unix_socket": sock, "tokens": [reader]})
    assert endpoint(config) == Endpoint(f"unix:{sock}", TOKEN, uds=sock)


def test_the_command(tmp_path: Path, run: Run) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    config = tmp_path / "mapekd.yaml"
    config.write_text(CONFIG)
    code, out, _ = run("status", "--config", str(config), "--db", str(db), "--no-api", "--json")
    assert code == 0 and json.loads(out)["api"]["error"] == "not asked (--no-api)"
    code, out, _ = run("status", "--config", str(config), "--db", str(db), "--no-api")
    assert code == 0 and out.startswith("from the knowledge base: no live state (not asked (--no-api))")
    for heading in (
        "checks",
        "open incidents (3)",
        "pending approvals (1)",
        "action counters",
        "LLM providers",
    ):
        assert heading in out
    assert "LLM spend today (UTC):" in out and "of 2" in out
    code, out, _ = run("status", "--config", str(config), "--db", str(tmp_path / "none.db"), "--no-api")
    assert code == 1 and "knowledge base unavailable: no knowledge base at" in out


def test_scheduled_jobs_live_or_as_configured(tmp_path: Path, settings: Settings, run: Run) -> None:
    now = time.time()
    live_jobs = [{"id": "checks@5s", "trigger": "every 5s", "next_run_at": now + 3}]
    live = Live({"loop": {"running": True, "jobs": live_jobs}}, "http://127.0.0.1:1", None)
    assert scheduled_jobs(settings, live, now) == live_jobs

    configured = scheduled_jobs(settings, Live(None, None, "not asked (--no-api)"), now)
    nightly = next_fire("30 3 * * *", datetime.fromtimestamp(now).astimezone())
    assert nightly is not None
    assert configured == [
        {"id": "checks@5s", "trigger": "every 5s", "next_run_at": None},  # only the daemon knows
        {"id": "maintenance", "trigger": "cron 30 3 * * *", "next_run_at": nightly.timestamp()},
    ]

    db = tmp_path / "kb.db"
    fill(db)
    config = tmp_path / "mapekd.yaml"
    config.write_text(CONFIG)
    code, out, _ = run("status", "--config", str(config), "--db", str(db), "--no-api", "--json")
    assert code == 0 and [j["id"] for j in json.loads(out)["jobs"]] == ["checks@5s", "maintenance"]
    code, out, _ = run("status", "--config", str(config), "--db", str(db), "--no-api")
    assert code == 0 and "scheduled jobs" in out and "cron 30 3 * * *" in out
