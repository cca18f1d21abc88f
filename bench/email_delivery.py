"""What one e-mail notice costs: deliveries by an `email` action to a real SMTP server on
loopback (aiosmtpd, the test suite's: STARTTLS on a certificate made for the run, AUTH), one
after the other, each a whole session (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA).

    python bench/email_delivery.py [--count 50]

Reports the median, p95 and max wall time of a delivery and the messages received. Writes
bench/results/email_delivery.json (or --out)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "daemon")]

from tests.notify.smtp_server import PASSWORD, USER, Mailbox, make_certificate, start  # noqa: E402

from benchkit import write_json  # noqa: E402
from mapekd.config.actions import EmailActionConfig  # noqa: E402
from mapekd.notify.email_sink import EmailAction  # noqa: E402
from mapekd.notify.notice import Notice  # noqa: E402


async def deliveries(count: int) -> dict[str, Any]:
    cert, key = make_certificate(Path(tempfile.mkdtemp()))
    mailbox = Mailbox()
    server = start(mailbox, cert, key)
    config = {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": server.port,
        "from": "a@b.example",
    }
    config |= {"to": ["oncall@example.org"], "username": USER, "password": PASSWORD, "ca_file": str(cert)}
    action = EmailAction(EmailActionConfig.model_validate(config))
    notice = Notice("gave_up", 1, 1, "web_down@process:web", "process:web", "web is down", {"restarts": 3})
    seconds: list[float] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            result = await action.deliver(notice)
            seconds.append(time.perf_counter() - started)
            assert result.state == "succeeded", result
    finally:
        server.stop()
    ms = sorted(s * 1000 for s in seconds)
    return {
        "deliveries": count,
        "received": len(mailbox.messages),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "email_delivery.json")
    args = parser.parse_args()
    result = asyncio.run(deliveries(args.count))
    print(result)
    write_json(args.out, result)


if __name__ == "__main__":
    main()
