"""One `if ... then ACTION` statement taken apart: the condition's words, how many cycles it must
hold (`for N cycles`, `for N times within M cycles`), the action and an `exec` command's argv;
and Monit's units of size, percent and time."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from mapekd.monit.parser import Statement

ACTIONS = frozenset({"alert", "restart", "start", "stop", "exec", "unmonitor", "timeout", "monitor"})
_CYCLES = re.compile(
    r"\b(?:for\s+)?(\d+)\s+times?\s+with(?:in)?\s+(\d+)\s+cycles?\b|\bfor\s+(\d+)\s+cycles?\b"
)
_SIZE_UNITS = {
    **dict.fromkeys(("b", "byte", "bytes"), 1),
    **dict.fromkeys(("k", "kb", "kilobyte", "kilobytes"), 1024),
    **dict.fromkeys(("m", "mb", "megabyte", "megabytes"), 1024**2),
    **dict.fromkeys(("g", "gb", "gigabyte", "gigabytes"), 1024**3),
    **dict.fromkeys(("t", "tb", "terabyte", "terabytes"), 1024**4),
}
_TIME_UNITS = {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600,
               "day": 86400, "days": 86400}  # fmt: skip
NUMBER = r"(\d+(?:\.\d+)?)"


@dataclass
class IfStmt:
    cond: str
    """The condition, lower case, one space between words, quoted texts in double quotes."""
    action: str
    where: str
    text: str
    times: int = 1
    within: int = 1
    argv: list[str] = field(default_factory=list)
    """The command of `then exec`."""
    quoted: list[str] = field(default_factory=list)
    """The quoted texts of the condition, as written (a request path, a content pattern)."""


def parse_if(statement: Statement) -> IfStmt | None:
    """None when the statement has no `then ACTION` this reader knows."""
    tokens = statement.tokens[1:]
    words = [t.low() for t in tokens]
    if "then" not in words:
        return None
    at = words.index("then")
    action = words[at + 1] if at + 1 < len(words) else ""
    if action not in ACTIONS:
        return None
    argv: list[str] = []
    if action == "exec" and at + 2 < len(tokens):
        argv = shlex.split(tokens[at + 2].text)
    condition = tokens[:at]
    cond = " ".join(f'"{t.text}"' if t.quoted else t.low() for t in condition)
    cond = cond.replace("( ", "(").replace(" )", ")").replace(" ,", ",")
    stmt = IfStmt(cond, action, statement.where, statement.text(), argv=argv)
    stmt.quoted = [t.text for t in condition if t.quoted]
    match = _CYCLES.search(cond)
    if match and not re.match(r"^\d+\s+restarts?\b", cond):
        times, within, consecutive = match.groups()
        stmt.times = int(times or consecutive)
        stmt.within = int(within or consecutive)
        stmt.cond = (cond[: match.start()] + cond[match.end() :]).strip()
    return stmt


def size_bytes(number: str, unit: str) -> int | None:
    factor = _SIZE_UNITS.get(unit.lower())
    return None if factor is None else int(float(number) * factor)


def seconds(number: str, unit: str) -> int | None:
    factor = _TIME_UNITS.get(unit.lower())
    return None if factor is None else int(float(number) * factor)


def compare(op: str) -> str | None:
    """Monit's comparison words and signs as a rule's operator."""
    ops = {">": ">", "<": "<", ">=": ">=", "<=": "<=", "=": "==", "==": "==", "!=": "!=", "<>": "!=",
           "gt": ">", "lt": "<", "eq": "==", "ne": "!=", "greater": ">", "less": "<", "equal": "==",
           "notequal": "!="}  # fmt: skip
    return ops.get(op)
