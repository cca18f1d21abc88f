"""The fleet's PostgreSQL on this machine's cores (a real server the benchmark starts, as the
tests do): ingest, record look-ups, replication lag.

    python bench/fleet.py [--seconds 15] [--hosts 1000] [--pool 8] [--outcomes 1000000]
                          [--lag-hosts 100] [--lag-rate 100]

1. Ingest: the outboxes of `--hosts` simulated hosts over a pool of `--pool` connections (one
   thread each), each push one host's batch of 50 outcomes with their incidents, decisions and
   executions (the daemon's own upsert statements, one transaction a batch): outcomes/s sustained.
2. Record look-up: `--outcomes` outcomes stored (bulk-loaded, the per-host record built by one
   aggregate), then the fleet record of one signature read as the daemon's pull reads it, and
   the in-memory look-up the loop makes (FleetView.annotate): p50/p99.
3. Replication lag: `--lag-hosts` real daemons' fleet threads (FleetWorker: SQLite outbox, one
   connection each, push every second), outcomes written into their SQLite bases at
   `--lag-rate`/s in all; lag = from the SQLite write to the row visible in PostgreSQL: p50/p99.
Writes bench/results/fleet.json (or --out)."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "daemon")]

import psycopg  # noqa: E402
from tests.fleet.pg import Postgres  # noqa: E402

from benchkit import write_json  # noqa: E402
from mapekd.config.fleet import FleetConfig  # noqa: E402
from mapekd.fleet.migrate import apply_migrations  # noqa: E402
from mapekd.fleet.record import pull  # noqa: E402
from mapekd.fleet.remote import upsert  # noqa: E402
from mapekd.fleet.service import Fleet  # noqa: E402
from mapekd.knowledge.store import SqliteStore  # noqa: E402
from mapekd.model import Symptom  # noqa: E402
from mapekd.plan.proposal import Candidate  # noqa: E402

BATCH = 50
SIGNATURES = 400
ACTIONS = ("restart", "kill", "clean")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bundle(i: int, now: float) -> dict[str, dict[str, Any]]:
    sig, action = f"down{i % SIGNATURES}@process:svc", ACTIONS[i % 3]
    incident = {
        "id": i,
        "signature": sig,
        "rule": "down",
        "target": "process:svc",
        "severity": "critical",
        "status": "resolved",
        "fingerprint": f"fp{i % 7}",
        "opened_at": now,
        "updated_at": now,
        "resolved_at": now,
    }
    decision = {
        "id": i,
        "incident_id": i,
        "ts": now,
        "verdict": "execute",
        "action": action,
        "target": "process:svc",
        "source": "rule",
        "confidence": None,
        "reason": "",
        "dry_run": False,
        "fingerprint": f"fp{i % 7}",
    }
    execution = {
        "id": i,
        "decision_id": i,
        "incident_id": i,
        "action": action,
        "target": "process:svc",
        "kind": "remedy",
        "state": "succeeded",
        "started_at": now,
        "finished_at": now,
        "exit_code": 0,
        "error": None,
    }
    outcome = {
        "id": i,
        "execution_id": i,
        "incident_id": i,
        "ts": now,
        "result": "resolved",
        "signature": sig,
        "fingerprint": f"fp{i % 7}",
        "action": action,
        "target": "process:svc",
        "counted": True,
    }
    return {"incidents": incident, "decisions": decision, "executions": execution, "outcomes": outcome}


def ingest(url: str, hosts: int, pool: int, seconds: float) -> dict[str, Any]:
    done = [0] * pool
    stop = time.monotonic() + seconds
    next_id = [0] * hosts

    def worker(slot: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            host = slot
            while time.monotonic() < stop:
                first = next_id[host]
                next_id[host] += BATCH
                rows: dict[str, list[dict[str, Any]]] = {
                    t: [] for t in ("incidents", "decisions", "executions", "outcomes")
                }
                for i in range(first, first + BATCH):
                    for table, row in bundle(i, time.time()).items():
                        rows[table].append(row)
                upsert(conn, (f"h{host}", "base"), rows)
                done[slot] += BATCH
                host = (host + pool) % hosts  # each slot serves its own hosts, in turn

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(pool)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return {
        "hosts": hosts,
        "pool": pool,
        "seconds": round(elapsed, 1),
        "outcomes": sum(done),
        "outcomes_per_s": round(sum(done) / elapsed),
    }


def bulk_load(url: str, outcomes: int, hosts: int) -> float:
    """`outcomes` outcome rows spread over hosts and signatures, and the per-host record they
    make (one aggregate instead of the row trigger, which ingest above measures)."""
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE outcomes DISABLE TRIGGER outcomes_record")
        conn.execute(
            "INSERT INTO outcomes SELECT 'b' || (g %% %s), 'base', g, g, g, extract(epoch from now()), "
            "CASE WHEN g %% 10 = 0 THEN 'not_resolved' ELSE 'resolved' END, "
            "'bulk' || (g %% %s) || '@process:svc', "
            "'fp' || (g %% 7), (ARRAY['restart','kill','clean'])[1 + g %% 3], 'process:svc', true "
            "FROM generate_series(1, %s) g",
            (hosts, SIGNATURES, outcomes),
        )
        conn.execute(
            "INSERT INTO host_records SELECT signature, fingerprint, action, host_id, "
            "SUM((result = 'resolved')::int), COUNT(*), MAX(ts) FROM outcomes WHERE host_id LIKE 'b%%' "
            "GROUP BY signature, fingerprint, action, host_id"
        )
        conn.execute("ALTER TABLE outcomes ENABLE TRIGGER outcomes_record")
        conn.execute("ANALYZE")
    return time.monotonic() - began


def lookups(url: str, config: FleetConfig, repeats: int = 2000) -> dict[str, Any]:
    sql_ms = []
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(repeats):
            sig = f"bulk{random.randrange(SIGNATURES)}@process:svc"
            began = time.perf_counter()
            conn.execute(
                "SELECT action, successes, tries, hosts FROM fleet_record WHERE signature = %s", (sig,)
            ).fetchall()
            sql_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        snapshot = pull(conn, quarantine_hosts=config.quarantine_hosts, window=config.quarantine_window)
        pull_s = time.perf_counter() - began
    fleet = Fleet(config, Path("/nonexistent"))
    fleet.view.snapshot = snapshot
    candidates = [Candidate(a, "command", "", "low", True) for a in ACTIONS]
    mem_us = []
    for _ in range(repeats):
        sig = f"bulk{random.randrange(SIGNATURES)}@process:svc"
        began = time.perf_counter()
        fleet.view.annotate(sig, "process:svc", f"fp{random.randrange(7)}", candidates)
        mem_us.append((time.perf_counter() - began) * 1e6)
    return {
        "sql_p50_ms": round(statistics.median(sql_ms), 3),
        "sql_p99_ms": round(pct(sql_ms, 0.99), 3),
        "whole_record_pull_s": round(pull_s, 3),
        "record_rows": sum(len(v) for v in snapshot.by_cause.values()),
        "in_memory_p50_us": round(statistics.median(mem_us), 1),
        "in_memory_p99_us": round(pct(mem_us, 0.99), 1),
    }


def replication_lag(url: str, tmp: Path, hosts: int, rate: float, seconds: float) -> dict[str, Any]:
    stores, fleets = [], []
    for h in range(hosts):
        store = SqliteStore(tmp / f"lag{h}.db")
        stores.append(store)
        config = FleetConfig(url=url, host_id=f"lag{h}", push_interval=1.0, pull_interval=30.0)
        fleets.append(Fleet.start(config, store.path))
    time.sleep(3)  # every thread connected
    written: dict[tuple[str, int], float] = {}
    lags: list[float] = []
    writing = threading.Event()
    writing.set()
    poller = threading.Thread(target=_poll, args=(url, written, lags, writing))
    poller.start()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        h = random.randrange(hosts)
        store, now = stores[h], time.time()
        incident = store.open_incident(Symptom("down", "process:svc", "critical", "down", {}, ts=now))
        store.resolve_incident(incident, now)  # one open incident per signature: closed at once
        decision = store.record_decision(
            {
                "incident_id": incident,
                "ts": now,
                "verdict": "execute",
                "action": "restart",
                "target": "process:svc",
                "source": "rule",
            }
        )
        execution = store.start_execution(
            {
                "decision_id": decision,
                "incident_id": incident,
                "action": "restart",
                "target": "process:svc",
                "started_at": now,
            }
        )
        store.finish_execution(execution, {"state": "succeeded", "finished_at": now})
        outcome = store.record_outcome(execution, incident, "resolved", "")
        written[(f"lag{h}", outcome)] = time.time()
        time.sleep(1 / rate)
    writing.clear()
    poller.join()
    for fleet in fleets:
        fleet.stop()
    return {
        "hosts": hosts,
        "outcomes": len(written),
        "replicated": len(lags),
        "lag_p50_s": round(statistics.median(lags), 3),
        "lag_p99_s": round(pct(lags, 0.99), 3),
    }


def _poll(
    url: str, written: dict[tuple[str, int], float], lags: list[float], writing: threading.Event
) -> None:
    """Every 50 ms, the outcomes newly visible in PostgreSQL, each with its lag (an upper bound:
    it became visible at most one poll earlier)."""
    seen: set[tuple[str, int]] = set()
    deadline = None
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            if not writing.is_set():
                deadline = deadline or time.monotonic() + 30
                if len(seen) >= len(written) or time.monotonic() > deadline:
                    return
            rows = conn.execute("SELECT host_id, id FROM outcomes WHERE host_id LIKE 'lag%'").fetchall()
            now = time.time()
            for host, oid in rows:
                key = (str(host), int(str(oid)))
                if key not in seen and key in written:
                    seen.add(key)
                    lags.append(now - written[key])
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--outcomes", type=int, default=1_000_000)
    parser.add_argument("--lag-hosts", type=int, default=100)
    parser.add_argument("--lag-rate", type=float, default=100.0)
    parser.add_argument("--parts", default="ingest,lookup,lag", help="which of ingest, lookup, lag")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fleet.json")
    args = parser.parse_args()
    server = Postgres().init().start()
    try:
        url = server.url(server.create_database())
        with psycopg.connect(url, autocommit=True) as conn:
            apply_migrations(conn)
        config = FleetConfig(url=url, host_id="bench")
        parts, result = args.parts.split(","), dict[str, Any]()
        if "ingest" in parts:
            result["ingest"] = ingest(url, args.hosts, args.pool, args.seconds)
            print("ingest", result["ingest"], flush=True)
        if "lookup" in parts:
            result["load_s"] = round(bulk_load(url, args.outcomes, args.hosts), 1)
            result["lookup"] = {"outcomes_stored": args.outcomes, **lookups(url, config)}
            print("lookup", result["lookup"], flush=True)
        if "lag" in parts:
            with tempfile.TemporaryDirectory() as tmp:
                result["lag"] = replication_lag(url, Path(tmp), args.lag_hosts, args.lag_rate, args.seconds)
            print("lag", result["lag"], flush=True)
    finally:
        server.remove()
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
