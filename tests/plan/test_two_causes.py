"""One signature, two causes: the service goes down after logging either `connection refused`
(only `fix_b` brings it back) or `worker blocked on lock` (only `fix_a` does). A real engine on a
real SQLite file, a real service the test starts, real command actions, no LLM; the evidence is
the service's own log, read by a small gatherer of the test's. From an empty knowledge base,
each cause's own remedy is chosen first from its second occurrence on, and every decision
records the cause it was made for."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.causes import Causes
from tests.plan.loop import Loop, base_config, running_loop

SERVICE = """
import pathlib, sys, time
tmp = pathlib.Path(sys.argv[1])
needs = (tmp / "cause").read_text()
fixed = tmp / "fixed-by"
if needs == "fix_b":
    line = "ERROR connection refused to 10.0.0.5:5432"
else:
    line = "ERROR worker 3 blocked on lock queue"
with open(tmp / "svc.log", "a") as log:
    if fixed.exists() and fixed.read_text() == needs:
        log.write(str(time.time()) + " ready\\n")
    else:
        log.write(str(time.time()) + " " + line + "\\n")
        log.flush()
        if fixed.exists():
            sys.exit(1)  # the wrong remedy: it comes up and falls over again
time.sleep(120)
"""


def service(tmp: Path) -> list[str]:
    return [sys.executable, "-c", SERVICE, str(tmp), f"mapekd-test-service-{tmp.name}"]


def fix(tmp: Path, name: str) -> dict[str, Any]:
    code = (
        f"import pathlib, subprocess; pathlib.Path({str(tmp / 'fixed-by')!r}).write_text({name!r}); "
        f"p = subprocess.Popen({service(tmp)!r}, start_new_session=True, stdin=subprocess.DEVNULL, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        f"pathlib.Path({str(tmp / 'svc.pid')!r}).write_text(str(p.pid))"
    )
    return {"name": name, "type": "command", "argv": [sys.executable, "-c", code], "settle": "500ms"}


@dataclass
class LogTail:
    path: Path
    kind: EvidenceKind = "log"

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        return [EvidenceItem("log", str(self.path), line) for line in self.path.read_text().splitlines()]


async def episode(loop: Loop, needs: str) -> None:
    """The service comes up with this cause, goes down; the loop heals it (up to 6 decisions)."""
    tmp = loop.tmp
    (tmp / "cause").write_text(needs)
    (tmp / "fixed-by").unlink(missing_ok=True)
    (tmp / "svc.log").write_text("")
    loop.start_service_with(service(tmp))
    for _ in range(500):  # up and logging before it goes down
        if (tmp / "svc.log").read_text():
            break
        await asyncio.sleep(0.01)
    await loop.engine.cycle()
    await loop.kill_service()
    for _ in range(6):
        await loop.engine.cycle()
        await loop.settle()
        if not loop.rows("SELECT id FROM incidents WHERE resolved_at IS NULL"):
            return
    raise AssertionError(f"not healed: {loop.rows('SELECT action, reason FROM decisions')}")


async def test_each_cause_gets_its_own_remedy_from_its_second_occurrence(tmp_path: Path) -> None:
    config = base_config(tmp_path, None)
    config["rules"][0]["remedies"] = ["fix_a", "fix_b"]
    config["actions"] = [fix(tmp_path, "fix_a"), fix(tmp_path, "fix_b")]
    async with running_loop(tmp_path, config) as loop:
        healer = loop.engine.healer
        healer.causes = Causes(healer.settings, loop.store, {"svc": [LogTail(tmp_path / "svc.log")]})
        for needs in ("fix_b", "fix_a", "fix_b", "fix_a", "fix_b"):
            await episode(loop, needs)
        decisions = loop.rows(
            "SELECT d.incident_id, d.action, d.reason, d.fingerprint, i.fingerprint AS cause "
            "FROM decisions d JOIN incidents i ON i.id = d.incident_id ORDER BY d.id"
        )
        evidence = loop.rows("SELECT incident_id, text, template FROM evidence ORDER BY id")

    first = {}
    for d in decisions:
        first.setdefault(d["incident_id"], d)
    firsts = [first[i]["action"] for i in sorted(first)]
    assert firsts[2:] == ["fix_b", "fix_a", "fix_b"], decisions
    assert all("for this cause" in first[i]["reason"] for i in sorted(first)[2:]), decisions
    causes = [first[i]["cause"] for i in sorted(first)]
    assert causes[0] == causes[2] == causes[4] != causes[1] == causes[3]
    assert all(d["fingerprint"] == d["cause"] for d in decisions), decisions
    assert any(e["template"] == "<num> ERROR connection refused to <ip>:<port>" for e in evidence)
