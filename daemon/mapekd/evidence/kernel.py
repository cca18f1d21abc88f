"""What the kernel logged about a watched process's death: the OOM killer, a segfault, a trap.

Kept from the kernel log (evidence.kmsg) since the incident window began:
- the OOM killer's `Out of memory: Killed process PID (COMM)` (`Memory cgroup out of memory: ...`
  in a memory cgroup) and `oom-kill:constraint=...,task_memcg=...,task=COMM,pid=PID,uid=...`;
- `COMM[PID]: segfault at ...` and `traps: COMM[PID] general protection fault ...`.
A line is about the watched process when it names one of its pids (the sample's `pid` or
`last_pid`, the deaths the ExitBook saw), its process name (`comm`, as the kernel cuts it to 15
characters) or its unit's cgroup. Knowing none of these, nothing is kept: another process's kill
in the same minutes would be read as this one's cause and give the incident a false fingerprint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapekd.binaries import system_binary
from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest
from mapekd.evidence.exits import ExitBook
from mapekd.evidence.kmsg import KMSG, KernelRecord, kernel_records

COMM_LEN = 15
"""TASK_COMM_LEN - 1: the kernel's process names are cut to this many characters."""

_KILLED = re.compile(r"Killed process (?P<pid>\d+) \((?P<comm>.*?)\)")
_OOM_KILL = re.compile(r"oom-kill:.*?task_memcg=(?P<memcg>[^,]*),task=(?P<comm>.*?),pid=(?P<pid>\d+)")
_FAULT = re.compile(r"^(?:traps: )?(?P<comm>\S.*?)\[(?P<pid>\d+)\]:? (?:segfault|general protection|trap)")


@dataclass(frozen=True, slots=True)
class DeathLine:
    pid: int
    comm: str
    memcg: str | None


def death_line(text: str) -> DeathLine | None:
    """The process a kernel line reports the killing or crash of, None for any other line."""
    for pattern in (_OOM_KILL, _KILLED, _FAULT):
        match = pattern.search(text)
        if match is not None:
            memcg = match.groupdict().get("memcg")
            return DeathLine(int(match["pid"]), match["comm"], memcg)
    return None


class KernelGatherer:
    kind: EvidenceKind = "kernel"

    def __init__(
        self,
        check: str,
        *,
        comm: str | None = None,
        unit: str | None = None,
        exits: ExitBook | None = None,
        journal_directory: str | None = None,
        kmsg: str = KMSG,
    ) -> None:
        self.check = check
        self.comm = comm[:COMM_LEN] if comm else None
        self.unit = unit
        self.exits = exits
        self.journal_directory = journal_directory
        self.kmsg = kmsg

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        records = kernel_records(
            request.since,
            deadline_s=request.deadline_s,
            journalctl=system_binary("journalctl"),
            directory=self.journal_directory,
            kmsg=self.kmsg,
        )
        return keep_newest(self.select(records, self.pids(request)), request)

    def pids(self, request: EvidenceRequest) -> set[int]:
        pids = {v for k in ("pid", "last_pid") if isinstance(v := request.facts.get(k), int)}
        if self.exits is not None:
            pids |= {death.pid for death in self.exits.deaths(self.check, request.since)}
        return pids

    def select(self, records: list[KernelRecord], pids: set[int]) -> list[EvidenceItem]:
        """The death lines about the watched process (none when nothing identifies it)."""
        items: list[EvidenceItem] = []
        for record in records:
            line = death_line(record.text)
            if line is not None and self._ours(line, pids):
                items.append(EvidenceItem("kernel", "kernel", record.text, record.at))
        return items

    def _ours(self, line: DeathLine, pids: set[int]) -> bool:
        if line.pid in pids or (self.comm is not None and line.comm == self.comm):
            return True
        return bool(self.unit and line.memcg and line.memcg.rstrip("/").endswith("/" + self.unit))
