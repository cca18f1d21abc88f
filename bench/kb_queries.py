"""`mapekd kb` and `mapekd status` on a large knowledge base: 100k decisions over 90 days, with
proportional incidents, symptoms, executions, outcomes, approvals and LLM calls, written into a
real SQLite file through the daemon's own migrations.

    python bench/kb_queries.py [--decisions 100000] [--repeats 15]

Each command runs in-process (the command's own work: open read-only, query, render, print to a
file), median over repeats, once on a base without migration 0006 (its indexes) and once with it,
side by side; then `mapekd kb incidents` as a whole process (interpreter start included). The
target: `kb incidents` and `kb stats` under 200 ms. Writes bench/results/kb_queries.json."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mapekd.cli.main import main
from mapekd.knowledge.retention import prune
from mapekd.knowledge.store import SqliteStore
from mapekd.resources import migrations_dir

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0
DAY = 86400.0
RULES = ("down", "cpu_high", "mem_high", "disk_full", "latency", "errors", "flapping", "absent")
STATES = ("succeeded",) * 8 + ("failed", "timeout")
RESULTS = ("resolved",) * 7 + ("not_resolved", "failed")
SOURCES = ("knowledge", "knowledge", "rule", "llm", "llm", "policy")


COLUMNS = {
    "incidents": "id signature rule target severity status summary opened_at updated_at resolved_at",
    "symptoms": "incident_id ts rule target severity message fields",
    "decisions": "id incident_id ts verdict action target source confidence",
    "executions": "id decision_id incident_id action target state started_at finished_at exit_code "
    "duration_ms kind",
    "outcomes": "execution_id incident_id ts result detail",
    "llm_calls": "ts incident_id kind role provider model input_tokens output_tokens cost latency_ms cached",
}


def fill(path: Path, decisions: int, migrations: Path) -> dict[str, int]:
    """`decisions` decisions; per decision one symptom and one execution (a notification for one
    in twenty), an outcome for most real ones; 2.5 decisions per incident; an LLM call for every
    third decision. 400 signatures; the newest incident of one signature in ten is still open."""
    SqliteStore(path, migrations=migrations).close()
    rows = history(decisions, random.Random(7), time.time())
    conn = sqlite3.connect(str(path))
    with conn:
        for table, names in COLUMNS.items():
            columns = names.split()
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            conn.executemany(sql, rows[table])
    conn.execute("ANALYZE")
    conn.close()
    return {table: len(r) for table, r in rows.items()}


def history(decisions: int, rng: random.Random, now: float) -> dict[str, list[tuple[Any, ...]]]:
    incidents = decisions * 2 // 5
    signatures = [f"{r}@host:n{i:03d}" for i in range(50) for r in RULES]
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
    last_of: dict[str, int] = {}
    for i in range(1, incidents + 1):
        signature = signatures[rng.randrange(len(signatures))]
        rule, target = signature.split("@")
        opened = now - 90 * DAY + (90 * DAY) * i / incidents
        resolved = opened + rng.uniform(5, 900)
        rows["incidents"].append(
            [i, signature, rule, target, "critical", "resolved", rule, opened, resolved, resolved]
        )
        last_of[signature] = i
    # The newest incident of one signature in ten stays open (one active per signature).
    for signature in signatures[::10]:
        row = rows["incidents"][last_of[signature] - 1]
        row[5], row[9] = "open", None
    for d in range(1, decisions + 1):
        incident = rows["incidents"][(d - 1) * incidents // decisions]
        iid, target, ts = incident[0], incident[3], incident[7] + 1 + d % 3
        source = SOURCES[d % len(SOURCES)]
        rows["symptoms"].append((iid, ts - 1, incident[2], target, "critical", "symptom", '{"value": 1}'))
        confidence = rng.random() if source == "llm" else None
        rows["decisions"].append((d, iid, ts, "execute", "restart", target, source, confidence))
        kind = "notify" if d % 20 == 0 else "remedy"
        state = STATES[rng.randrange(len(STATES))]
        rows["executions"].append((d, d, iid, "restart", target, state, ts + 1, ts + 2, 0, 120.0, kind))
        if kind == "remedy" and rng.random() < 0.9:
            rows["outcomes"].append((d, iid, ts + 30, RESULTS[rng.randrange(len(RESULTS))], "bench"))
        if d % 3 == 0:
            latency = rng.uniform(80, 900)
            rows["llm_calls"].append(
                (ts, iid, "chat", "plan", "local", "smollm2", 900, 80, 0.0004, latency, d % 9 == 0)
            )
    rows["incidents"] = [tuple(r) for r in rows["incidents"]]
    return rows


COMMANDS = {
    "kb incidents": ["kb", "incidents"],
    "kb incidents --since 30d --json": ["kb", "incidents", "--since", "30d", "--json"],
    "kb incidents --signature 'down@*'": ["kb", "incidents", "--since", "all", "--signature", "down@*"],
    "kb incidents --state open": ["kb", "incidents", "--since", "all", "--state", "open"],
    "kb stats": ["kb", "stats"],
    "kb stats --since 7d": ["kb", "stats", "--since", "7d"],
    "kb actions": ["kb", "actions"],
    "kb llm": ["kb", "llm"],
    "kb show 1": ["kb", "show", "1"],
    "status --no-api": ["status", "--no-api"],
}


class Terminal(io.StringIO):
    """Output that says it is a terminal: the commands draw for people (colours, rich tables)."""

    def isatty(self) -> bool:
        return True


def run_once(argv: list[str], db: Path, tty: bool = False) -> float:
    sink = Terminal() if tty else io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
        started = time.perf_counter()
        code = main([*argv, "--db", str(db)])
        elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed with {code}")
    return elapsed * 1000


def median_ms(argv: list[str], db: Path, repeats: int, tty: bool = False) -> float:
    run_once(argv, db, tty)  # warm: the page cache, not our own caches (there are none)
    return statistics.median(run_once(argv, db, tty) for _ in range(repeats))


def prune_ms(db: Path, older_than_days: float) -> float:
    """One prune (the library call `kb prune` makes, foreign keys on) on a copy of the base: a
    prune cannot be repeated on the same rows, and `kb prune` itself would first migrate the base
    (and so create the indexes of 0006)."""
    copy = db.with_name(f"prune-{db.name}")
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(str(copy))
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        started = time.perf_counter()
        prune(conn, time.time() - older_than_days * DAY)
        return (time.perf_counter() - started) * 1000
    finally:
        conn.close()
        copy.unlink()


def process_ms(db: Path, repeats: int) -> float:
    argv = [sys.executable, "-m", "mapekd", "kb", "incidents", "--db", str(db)]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def compare(results: dict[str, Any], bases: dict[str, Path], repeats: int) -> None:
    print(f"{'command':<38} {'no 0006 ms':>11} {'0006 ms':>9} {'ratio':>6} {'tty ms':>8}  target")
    for label, argv in COMMANDS.items():
        plain = median_ms(argv, bases["without_0006"], repeats)
        indexed = median_ms(argv, bases["with_0006"], repeats)
        tty = median_ms(argv, bases["with_0006"], repeats, tty=True) if "--json" not in argv else indexed
        gated = label.split(" --")[0] in ("kb incidents", "kb stats")
        verdict = ("ok" if max(indexed, tty) < TARGET_MS else "MISSED") if gated else ""
        results["commands"][label] = {
            "without_0006_ms": round(plain, 2),
            "with_0006_ms": round(indexed, 2),
            "tty_ms": round(tty, 2),
        }
        print(f"{label:<38} {plain:>11.1f} {indexed:>9.1f} {plain / indexed:>6.1f} {tty:>8.1f}  {verdict}")
    for days in (88, 30):
        label = f"kb prune --older-than {days}d"
        # Without the foreign-key indexes each deleted row scans the child tables: only the
        # small prune is run that way (the large one would take many minutes).
        plain = prune_ms(bases["without_0006"], days) if days == 88 else float("nan")
        indexed = prune_ms(bases["with_0006"], days)
        results["commands"][label] = {"without_0006_ms": round(plain, 1), "with_0006_ms": round(indexed, 1)}
        print(f"{label:<38} {plain:>11.1f} {indexed:>9.1f} {plain / indexed:>6.1f}  (once)")


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    results: dict[str, Any] = {"decisions": args.decisions, "repeats": args.repeats, "commands": {}}
    with tempfile.TemporaryDirectory() as tmp:
        without = Path(tmp) / "migrations-without-0006"
        shutil.copytree(migrations_dir(), without)
        for index_file in without.glob("0006_*.sql"):
            index_file.unlink()
        bases = {"without_0006": Path(tmp) / "plain.db", "with_0006": Path(tmp) / "indexed.db"}
        for name, migrations in (("without_0006", without), ("with_0006", migrations_dir())):
            started = time.perf_counter()
            results[f"rows_{name}"] = fill(bases[name], args.decisions, migrations)
            print(f"filled {name} in {time.perf_counter() - started:.1f}s: {results[f'rows_{name}']}")
        compare(results, bases, args.repeats)
        whole = process_ms(bases["with_0006"], max(3, args.repeats // 3))
        results["process_kb_incidents_ms"] = round(whole, 1)
        print(f"`mapekd kb incidents` as a process (interpreter and imports included): {whole:.0f} ms")
    out = REPO / "bench" / "results" / "kb_queries.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
