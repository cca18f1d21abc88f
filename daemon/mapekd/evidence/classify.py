"""The cause class of an incident, read from its evidence as an SRE reads a log: deterministic,
one table of patterns per class, and the lines that matched cited.

    class        lines that show it (case-insensitive)
    oom_kill     the kernel's OOM killer (`Out of memory: Killed process`, `oom-kill:`,
                 `Memory cgroup out of memory`), systemd's `Failed with result 'oom-kill'`
    bad_config   config / configuration error, parse error, syntax error, invalid or unknown
                 directive / key / option (nginx `[emerg] unknown directive`, postgres
                 `configuration file ... contains errors`)
    disk_io      blocked / stalled write, I/O error, EIO, `fsync ... took`, the kernel's hung task
                 (`blocked for more than N seconds`), a read-only remount
    dependency   connection refused, could not connect, ECONNREFUSED, `upstream ... unavailable`,
                 postgres `Is the server running`, nginx `connect() failed`, name resolution
    hang         deadlock, not responding, watchdog timeout: only while the process is alive
    resource_exhaustion  a pool or table exhausted, too many open files, no space left on device,
                 cannot allocate memory, resource temporarily unavailable
    crash        how the process ended (`killed by signal`, `exited with status`, `ended`, segfault,
                 `Main process exited`, a traceback or panic): unless an OOM line explains it
    unknown      none of the above

Operator patterns (`evidence.causes`) are tried with the shipped ones, for their classes.

Each matching line weighs by its level: ERROR / FATAL / CRIT / PANIC / EMERG / ALERT lines and
the ones that tell how the process ended (`verdict`, `exit`, `kernel`) weigh 3, WARN 2, a line
without a level 1, INFO / DEBUG / NOTICE 0.5 (a line that merely mentions a word is no fault).
The class whose loudest line weighs most wins (a line repeated does not count more: a service
logs the same refusal on every request); a tie goes to the class whose line came last (what the
log says last is what is wrong now: a service that could not reach its database at start and
then deadlocked is deadlocked), then to the more specific class (the table's order).

`crash` is what a process's end says when nothing else does: a kill by signal 9 after an OOM
line is the OOM kill, an exit after a config error is the bad config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from mapekd.evidence.base import EvidenceItem
from mapekd.evidence.fingerprint import ENDINGS

CauseClass = Literal[
    "crash",
    "hang",
    "dependency",
    "resource_exhaustion",
    "oom_kill",
    "disk_io",
    "bad_config",
    "flapping",
    "unknown",
]
CAUSE_CLASSES: tuple[str, ...] = get_args(CauseClass)
UNKNOWN = "unknown"

_TABLE: dict[str, tuple[str, ...]] = {
    "oom_kill": (
        r"out of memory: kill(?:ed)? process",
        r"\boom-kill(?:er)?\b",
        r"memory cgroup out of memory",
        r"invoked oom-killer",
        r"failed with result 'oom-kill'",
    ),
    "bad_config": (
        r"\bconfig(?:uration)?(?: file)?\b.{0,80}\b(?:error|errors|invalid|unknown|parse|syntax)",
        r"\b(?:config|configuration) error\b",
        r"\b(?:parse|parsing|syntax) error\b",
        r"\bunknown (?:directive|key|option|parameter|setting)\b",
        r"\binvalid (?:value|directive|option|parameter|setting|configuration)\b",
        r"unrecognized configuration parameter",
    ),
    "disk_io": (
        r"\b(?:write|writes|read|fsync|flush)\b.{0,60}\b(?:blocked|stalled|stuck)\b",
        r"\b(?:i/o|io) (?:stall|error)\b",
        r"\bEIO\b",
        r"\bfsync\b.{0,40}\btook\b",
        r"\bhung[_ ]task\b|blocked for more than \d+ seconds",
        r"remounting filesystem read-only",
        r"\bbuffer i/o error\b",
    ),
    "dependency": (
        r"connection refused",
        r"\bECONNREFUSED\b",
        r"could not connect",
        r"\bupstream\b.{0,120}\b(?:unavailable|refused|down|timed out|unreachable)",
        r"is the server running",
        r"connect\(\) (?:to .{0,120})?failed",
        r"no route to host",
        r"name or service not known|temporary failure in name resolution",
    ),
    "hang": (
        r"\bdeadlock(?:ed)?\b",
        r"\bnot responding\b",
        r"\bwatchdog timeout\b",
        r"\b(?:hung|stuck)\b.{0,40}\b(?:thread|worker|request|lock)",
    ),
    "resource_exhaustion": (
        r"\bexhausted\b",
        r"too many open files|\bEMFILE\b",
        r"no space left on device|\bENOSPC\b",
        r"cannot allocate memory|\bENOMEM\b",
        r"resource temporarily unavailable",
        r"too many (?:connections|clients)",
    ),
    "crash": (
        r"killed by signal \d+",
        r"\bpid \d+ ended\b",  # the death seen, its status not told (another user's process)
        r"exited with status [1-9]\d*",
        r"\bsegfault\b|segmentation fault|general protection fault",
        r"main process exited, code=(?:killed|dumped|exited, status=[1-9])",
        r"\bcore dumped\b|\bpanic:|^traceback \(most recent call last\)",
        r"Result=(?!success)\w+",
    ),
}
"""Most specific first: a tie goes to the earlier class."""
_EXPLAINS: dict[str, frozenset[str]] = {"crash": frozenset({"oom_kill", "bad_config", "disk_io"})}
"""A crash that one of these also shows was caused by it."""
_ALIVE_ONLY = frozenset({"hang"})
_LOUD = re.compile(
    r"\b(?:ERROR|ERR|FATAL|CRIT(?:ICAL)?|PANIC|EMERG|ALERT|SEVERE)\b|\[(?:error|crit|emerg|alert)\]"
)
_WARN = re.compile(r"\b(?:WARN(?:ING)?)\b|\[warn\]")
_QUIET = re.compile(r"\b(?:INFO|DEBUG|NOTICE|LOG)\b|\[(?:info|debug|notice)\]")


@dataclass(frozen=True, slots=True)
class Classified:
    cause: str
    cited: tuple[int, ...] = ()
    """Indexes of the evidence items that show it (0-based, in the order gathered)."""
    items: tuple[EvidenceItem, ...] = ()
    """The evidence it was read from (to quote what it cites)."""

    def citation(self, limit: int = 2, chars: int = 100) -> str:
        """`e2: <line>; e5: <line>`: the evidence ids as the prompts number them."""
        quoted = [f"e{i + 1}: {self.items[i].text[:chars]}" for i in self.cited[:limit]]
        return "; ".join(quoted)


def compile_patterns(
    operator: Mapping[CauseClass, Sequence[str]] | None = None,
) -> dict[str, list[re.Pattern[str]]]:
    """The shipped table with the operator's patterns for each class added (validated already)."""
    table = {cause: [re.compile(p, re.I) for p in patterns] for cause, patterns in _TABLE.items()}
    for cause, patterns in (operator or {}).items():
        table.setdefault(cause, []).extend(re.compile(p, re.I) for p in patterns)
    return table


def classify(
    items: Sequence[EvidenceItem],
    facts: Mapping[str, object] | None = None,
    patterns: Mapping[str, Sequence[re.Pattern[str]]] | None = None,
) -> Classified:
    """The cause class of this evidence; `facts`: the symptom's fields (`alive: false` rules
    out a hang)."""
    table = patterns if patterns is not None else compile_patterns()
    alive = (facts or {}).get("alive") is not False
    cited: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        for cause, regexes in table.items():
            if (cause in _ALIVE_ONLY and not alive) or not any(r.search(item.text) for r in regexes):
                continue
            cited.setdefault(cause, []).append(index)
    for cause, explainers in _EXPLAINS.items():
        if cause in cited and explainers & cited.keys():
            del cited[cause]
    if not cited:
        return Classified(UNKNOWN, (), tuple(items))
    order = list(table)

    def rank(cause: str) -> tuple[float, float, int, int]:
        lines = cited[cause]
        latest = max((items[i].at or 0.0 for i in lines), default=0.0)
        return max(_weight(items[i]) for i in lines), latest, max(lines), -order.index(cause)

    best = max(cited, key=rank)
    loudest = sorted(cited[best], key=lambda i: (-_weight(items[i]), -i))
    return Classified(best, tuple(loudest), tuple(items))


def _weight(item: EvidenceItem) -> float:
    if item.kind in ENDINGS or _LOUD.search(item.text):
        return 3.0
    if _WARN.search(item.text):
        return 2.0
    return 0.5 if _QUIET.search(item.text) else 1.0
