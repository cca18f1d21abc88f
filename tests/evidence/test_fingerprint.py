"""The cause fingerprint: lines to templates (what varies masked), the most telling templates
kept, and the same fingerprint for the same cause whatever its numbers, ids, times and order."""

from __future__ import annotations

import pytest

from mapekd.evidence.base import EvidenceItem, EvidenceKind
from mapekd.evidence.fingerprint import choose, fingerprint, template

TEMPLATES = [
    ("plain text stays", "log", "worker ready", "worker ready"),
    ("numbers", "log", "retry 3 of 10 after 2.5 s", "retry <num> of <num> after <num> s"),
    ("numbers with a unit", "log", "took 12ms, rss 5120kB", "took <num>ms, rss <num>kB"),
    ("a number inside a word stays", "log", "python3 on sda1", "python3 on sda1"),
    ("ISO timestamp", "log", "2026-12-06T05:40:41.123Z boot", "<time> boot"),
    ("syslog timestamp", "log", "Dec  6 05:40:41 host boot", "<time> host boot"),
    ("kernel timestamp", "kernel", "[12345.678901] oom", "<time> oom"),
    ("uuid", "log", "request 550e8400-e29b-41d4-a716-446655440000 done", "request <uuid> done"),
    ("IPv4 and port", "log", "connect 10.1.2.3:5432 refused", "connect <ip>:<port> refused"),
    ("IPv4 alone", "log", "peer 192.168.0.7 gone", "peer <ip> gone"),
    ("IPv6 with port", "log", "listen [::1]:8080", "listen <ip>:<port>"),
    ("IPv6 alone", "log", "route via fe80::1 and 2001:db8::8a2e:370:7334", "route via <ip> and <ip>"),
    ("C++ scope is no address", "log", "in std::vector", "in std::vector"),
    ("path", "log", "open /etc/web/app.conf failed", "open <path> failed"),
    ("relative path", "log", "read ./data/x.db", "read <path>"),
    ("quoted string", "log", "unknown key \"colour\" in 'main'", "unknown key <str> in <str>"),
    ("hex id", "log", "at 0x7ffd1234 trace deadbeef1234", "at <hex> trace <hex>"),
    ("epoch seconds are a number", "log", "1765000000.123456 boot", "<num> boot"),
    ("pid in brackets", "log", "web[4242]: exiting", "web[<num>]: exiting"),
    (
        "exit status kept, pid masked",
        "exit",
        "pid 812 exited with status 137",
        "pid <num> exited with status 137",
    ),
    ("signal kept", "exit", "pid 40213 killed by signal 9 (KILL)", "pid <num> killed by signal 9 (KILL)"),
    (
        "verdict status kept, restarts masked",
        "verdict",
        "Result=signal ExecMainCode=killed ExecMainStatus=9/KILL NRestarts=4 ActiveState=failed",
        "Result=signal ExecMainCode=killed ExecMainStatus=9/KILL NRestarts=<num> ActiveState=failed",
    ),
    (
        "a log line's status is a number like others",
        "log",
        "exited with status 1",
        "exited with status <num>",
    ),
    ("spaces collapse", "log", "a   b\t c", "a b c"),
]


@pytest.mark.parametrize(
    ("kind", "line", "expected"), [t[1:] for t in TEMPLATES], ids=[t[0] for t in TEMPLATES]
)
def test_template_masks_what_varies(kind: str, line: str, expected: str) -> None:
    assert template(line, kind) == expected


CHOICES = [
    (
        "endings first, then error lines, then by frequency",
        [
            ("log", "ok"),
            ("log", "conn refused"),
            ("log", "conn refused"),
            ("log", "fatal x"),
            ("exit", "status 1"),
        ],
        ("status 1", "conn refused", "fatal x"),
    ),
    ("plain lines only when nothing is telling", [("log", "a"), ("log", "b"), ("log", "b")], ("b", "a")),
    ("plain lines dropped when something is telling", [("log", "a"), ("log", "timeout")], ("timeout",)),
    (
        "deduplicated and capped at three",
        [("log", f"error {c}") for c in "abcdab"],
        ("error a", "error b", "error c"),
    ),
    ("nothing", [], ()),
]


@pytest.mark.parametrize(("pairs", "expected"), [c[1:] for c in CHOICES], ids=[c[0] for c in CHOICES])
def test_the_most_telling_templates_are_chosen(
    pairs: list[tuple[str, str]], expected: tuple[str, ...]
) -> None:
    assert choose(pairs) == expected


def items(*lines: tuple[EvidenceKind, str]) -> list[EvidenceItem]:
    return [EvidenceItem(kind, "web.log", text) for kind, text in lines]


def test_same_cause_same_fingerprint_whatever_varies() -> None:
    first, _ = fingerprint(
        "web_down@process:web",
        items(
            ("log", "2026-12-06T05:40:41Z served GET /a in 3ms"),
            ("log", "2026-12-06T05:40:42Z ERROR connection refused to 10.0.0.5:5432"),
            ("exit", "pid 40213 exited with status 1"),
        ),
    )
    again, _ = fingerprint(
        "web_down@process:web",
        items(
            ("exit", "pid 777 exited with status 1"),
            ("log", "2026-12-07T01:02:03Z ERROR connection refused to 10.9.9.9:5433"),
            ("log", "2026-12-07T01:02:02Z served GET /b in 9ms"),
        ),
    )
    assert first is not None and again is not None
    assert first.value == again.value and len(first.value) == 16
    assert first.templates == (
        "pid <num> exited with status 1",
        "<time> ERROR connection refused to <ip>:<port>",
    )


def test_another_cause_or_signature_another_fingerprint() -> None:
    refused = items(("log", "ERROR connection refused to 10.0.0.5:5432"))
    oom = items(("kernel", "Out of memory: Killed process 4242 (web)"))
    a, _ = fingerprint("web_down@process:web", refused)
    b, _ = fingerprint("web_down@process:web", oom)
    c, _ = fingerprint("api_down@process:api", refused)
    assert a is not None and b is not None and c is not None
    assert len({a.value, b.value, c.value}) == 3


def test_every_item_gets_its_template_and_no_evidence_no_fingerprint() -> None:
    found, templates = fingerprint("s", items(("log", "retry 3"), ("log", "retry 4")))
    assert templates == ["retry <num>", "retry <num>"]
    assert found is not None and found.templates == ("retry <num>",)
    assert fingerprint("s", []) == (None, [])
