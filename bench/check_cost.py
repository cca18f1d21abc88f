"""What one run of each check type costs on this machine: CPU µs and wall ms, median of N runs.

    python bench/check_cost.py [--runs N]

Each check is built from its config model and collected N times in a row on one event loop,
after one warm-up run (the first run loads modules, makes TLS contexts, fills caches). CPU is the
process's (all threads, so worker threads count) plus that of children reaped meanwhile (the
`program` check's). The servers the tcp checks talk to run in a process of their own, so their
CPU is not counted. Prints a table; writes bench/data/check_cost.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from mapekd.config.checks import CheckConfig
from mapekd.monitor.base import Check
from mapekd.monitor.registry import build_check
from mapekd.shared_http import SharedHttp

OUT = Path(__file__).resolve().parent / "data" / "check_cost.json"
SERVER = """
import socket, ssl, sys, threading
cert = sys.argv[1] if len(sys.argv) > 1 else None
context = None
if cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, sys.argv[2])
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
def serve(conn):
    try:
        if context:
            conn = context.wrap_socket(conn, server_side=True)
        conn.sendall(b"+OK ready\\r\\n")
        conn.recv(1024)
    except OSError:
        pass
    finally:
        conn.close()
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


@contextmanager
def server(*args: str) -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()


def make_cert(directory: Path) -> tuple[str, str]:
    cert, key = directory / "bench.crt", directory / "bench.key"
    subprocess.run(
        [shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return str(cert), str(key)


def configs(work: Path, plain_port: int, tls_port: int, cert: str) -> dict[str, dict[str, Any]]:
    spool = work / "spool"
    spool.mkdir()
    for i in range(1000):
        (spool / f"msg{i}").write_bytes(b"x" * 100)
    big = work / "big.bin"
    big.write_bytes(b"x" * 1024 * 1024)
    log = work / "app.log"
    log.write_text("")
    fifo = work / "control.fifo"
    os.mkfifo(fifo)
    tcp = {"type": "tcp", "host": "127.0.0.1"}
    return {
        "host": {"type": "host", "mounts": ["/"]},
        "tcp": {**tcp, "port": plain_port},
        "tcp send/expect": {**tcp, "port": plain_port, "send": "PING\r\n", "expect": r"^\+OK"},
        "tcp tls": {**tcp, "port": tls_port, "tls": True, "server_name": "localhost", "ca_file": cert},
        "filesystem": {"type": "filesystem", "mounts": ["/"]},
        "program": {"type": "program", "argv": [shutil.which("true") or "/bin/true"]},
        "directory (1000 entries)": {"type": "directory", "path": str(spool)},
        "network": {"type": "network", "interfaces": ["lo"]},
        "file": {"type": "file", "path": str(spool / "msg0")},
        "file sha256 (1 MiB)": {"type": "file", "path": str(big), "checksum": True},
        "file content (100 lines)": {"type": "file", "path": str(log), "content_regex": "ERROR"},
        "fifo": {"type": "fifo", "path": str(fifo)},
    }


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def log_lines(path: Path) -> Callable[[], None]:
    """Appends 100 lines of a web server's log, one of them an error (not timed)."""
    lines = "".join(f"127.0.0.1 - - GET /item/{i} HTTP/1.1 200 512 0.003\n" for i in range(99))
    block = (lines + "ERROR upstream timed out\n").encode()

    def append() -> None:
        with path.open("ab") as log:
            log.write(block)

    return append


async def measure(check: Check, runs: int, before: Callable[[], None] | None) -> dict[str, float]:
    await check.collect()  # warm-up
    cpu_us, wall_ms = [], []
    for _ in range(runs):
        if before is not None:
            before()
        cpu, wall = cpu_seconds(), time.perf_counter()
        samples = await check.collect()
        wall_ms.append((time.perf_counter() - wall) * 1000)
        cpu_us.append((cpu_seconds() - cpu) * 1e6)
        assert all(s.error is None for s in samples), samples
    return {"cpu_us": round(statistics.median(cpu_us)), "wall_ms": round(statistics.median(wall_ms), 3)}


async def run(runs: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cert, key = make_cert(work)
        with server() as plain_port, server(cert, key) as tls_port:
            results = {}
            for label, config in configs(work, plain_port, tls_port, cert).items():
                name = label.split()[0]
                model = TypeAdapter(CheckConfig).validate_python({"name": name, **config})
                check = build_check(model, http=SharedHttp())
                before = log_lines(Path(config["path"])) if "content_regex" in config else None
                results[label] = await measure(check, runs, before)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    results = asyncio.run(run(args.runs))
    print(f"{'check':<26}{'CPU µs/run':>12}{'wall ms/run':>13}   (median of {args.runs})")
    for label, cost in results.items():
        print(f"{label:<26}{cost['cpu_us']:>12}{cost['wall_ms']:>13}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"runs": args.runs, "checks": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
