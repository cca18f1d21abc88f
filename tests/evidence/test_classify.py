"""The cause class read from evidence as an SRE reads it: real log lines of the kernel, systemd,
postgres, nginx and the evaluation's services, each to its class, with the lines cited."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from mapekd.config.evidence import EvidenceConfig
from mapekd.evidence.base import EvidenceItem, EvidenceKind
from mapekd.evidence.classify import CAUSE_CLASSES, classify, compile_patterns
from mapekd.prompting.structured import CAUSES

Line = tuple[EvidenceKind, str]

CASES: list[tuple[str, list[Line], str]] = [
    (
        "kernel OOM killer with the exit it caused",
        [
            ("kernel", "Memory cgroup out of memory: Killed process 4242 (python3) total-vm:812344kB"),
            ("exit", "pid 4242 killed by signal 9 (SIGKILL)"),
        ],
        "oom_kill",
    ),
    (
        "oom-kill constraint line",
        [("kernel", "oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/web,task=python3,pid=4242,uid=0")],
        "oom_kill",
    ),
    (
        "systemd's verdict of an OOM kill",
        [("journal", "web.service: Failed with result 'oom-kill'.")],
        "oom_kill",
    ),
    ("a kill by signal 9 alone is a crash", [("exit", "pid 4242 killed by signal 9 (SIGKILL)")], "crash"),
    (
        "systemd main process exit",
        [("journal", "web.service: Main process exited, code=dumped, status=11/SEGV")],
        "crash",
    ),
    (
        "postgres refuses connections (libpq)",
        [
            (
                "log",
                "ERROR: could not connect to server: Connection refused\n\tIs the server running on host "
                '"127.0.0.1" and accepting TCP/IP connections on port 5432?',
            )
        ],
        "dependency",
    ),
    (
        "nginx upstream refused",
        [
            (
                "log",
                "2026/12/06 05:40:41 [error] 311#311: *7 connect() failed (111: Connection refused) while "
                'connecting to upstream, client: 10.0.0.5, upstream: "http://127.0.0.1:8080/"',
            )
        ],
        "dependency",
    ),
    (
        "evaluation web service: upstream refused",
        [
            (
                "log",
                "2026-12-06T05:40:41 web[881] ERROR: upstream http://127.0.0.1:40123/: "
                "[Errno 111] Connection refused",
            )
        ],
        "dependency",
    ),
    ("node ECONNREFUSED", [("log", "Error: connect ECONNREFUSED 127.0.0.1:6379")], "dependency"),
    (
        "nginx unknown directive",
        [("journal", 'nginx: [emerg] unknown directive "sever_name" in /etc/nginx/sites-enabled/web:3')],
        "bad_config",
    ),
    (
        "postgres configuration file errors",
        [
            (
                "log",
                'FATAL:  configuration file "/etc/postgresql/16/main/postgresql.conf" contains errors',
            )
        ],
        "bad_config",
    ),
    (
        "evaluation web service: config error, and the exit it causes",
        [
            (
                "log",
                "web[881] ERROR: config error: /srv/web.conf line 2: unknown key 'listen_addr'; "
                "refusing to start",
            ),
            ("exit", "pid 881 exited with status 78"),
        ],
        "bad_config",
    ),
    (
        "evaluation web service: I/O stall",
        [("log", "web[881] ERROR: I/O stall: write to /srv/web.data blocked for 2.0 s")],
        "disk_io",
    ),
    (
        "kernel hung task",
        [("kernel", "INFO: task postgres:1234 blocked for more than 120 seconds.")],
        "disk_io",
    ),
    (
        "kernel I/O error",
        [("kernel", "blk_update_request: I/O error, dev sda, sector 123456 op 0x1:(WRITE)")],
        "disk_io",
    ),
    ("postgres slow fsync", [("log", 'LOG:  fsync of file "base/16384/2619" took 8123 ms')], "disk_io"),
    (
        "evaluation web service: deadlock",
        [
            (
                "log",
                "web[881] ERROR: deadlock: request workers wait for the cache lock held by the reload thread",
            )
        ],
        "hang",
    ),
    (
        "evaluation web service: pool exhausted",
        [
            (
                "log",
                "web[881] ERROR: connection pool exhausted: 64 of 64 connections checked out, none returned",
            )
        ],
        "resource_exhaustion",
    ),
    (
        "postgres too many clients",
        [("log", "FATAL:  sorry, too many clients already")],
        "resource_exhaustion",
    ),
    (
        "disk full",
        [("log", "ERROR: could not write to file: No space left on device")],
        "resource_exhaustion",
    ),
    (
        "nothing telling",
        [
            ("log", "web[881] INFO: listening on 127.0.0.1:8080"),
            ("http", "status 502: <html>Bad Gateway</html>"),
        ],
        "unknown",
    ),
    ("evaluation web service: its 503 body", [("http", "HTTP 503: upstream down")], "dependency"),
    ("evaluation web service: its 500 body", [("http", "HTTP 500: config invalid")], "bad_config"),
    ("no evidence at all", [], "unknown"),
]


@pytest.mark.parametrize(
    ("lines", "expected"), [(lines, cls) for _, lines, cls in CASES], ids=[c[0] for c in CASES]
)
def test_each_real_line_reads_as_its_cause_class(lines: list[Line], expected: str) -> None:
    items = [EvidenceItem(kind, "src", text) for kind, text in lines]
    assert classify(items).cause == expected


def test_the_lines_that_show_the_class_are_cited_loudest_first() -> None:
    items = [
        EvidenceItem("log", "web.log", "web[1] INFO: listening on 127.0.0.1:8080"),
        EvidenceItem("log", "web.log", "web[1] INFO: retrying: connection refused"),
        EvidenceItem("log", "web.log", "web[1] ERROR: upstream db: Connection refused"),
    ]
    found = classify(items)
    assert (found.cause, found.cited) == ("dependency", (2, 1))
    assert (
        found.citation()
        == "e3: web[1] ERROR: upstream db: Connection refused; e2: web[1] INFO: retrying: connection refused"
    )


def test_an_error_line_outweighs_several_info_lines_of_another_class() -> None:
    items = [
        *(EvidenceItem("log", "a", f"INFO: reconnecting after connection refused ({n})") for n in range(3)),
        EvidenceItem("log", "a", "ERROR: deadlock detected: workers wait for the cache lock"),
    ]
    assert classify(items).cause == "hang"


def test_of_two_equally_loud_classes_the_one_logged_last_wins() -> None:
    """Seen in the evaluation: the web service could not reach its database while it started
    (a line repeated), then deadlocked: it is deadlocked now."""
    refused = "web[9] ERROR: upstream http://127.0.0.1:5432/: [Errno 111] Connection refused"
    deadlock = "web[9] ERROR: deadlock: request workers wait for the cache lock"
    items = [EvidenceItem("log", "a", refused, 10.0), EvidenceItem("log", "a", refused, 11.0)]
    assert classify([*items, EvidenceItem("log", "a", deadlock, 12.0)]).cause == "hang"
    assert classify([EvidenceItem("log", "a", deadlock, 9.0), *items]).cause == "dependency"


def test_a_death_seen_without_its_status_is_a_crash_after_an_older_refusal() -> None:
    """Seen in the evaluation: the web service could not reach its database while it started,
    later it was killed; the kernel kept no status for a process that was not our child."""
    refused = "web[9] ERROR: upstream http://127.0.0.1:5432/: [Errno 111] Connection refused"
    items = [
        EvidenceItem("log", "a", refused, 10.0),
        EvidenceItem("exit", "web", "pid 9 ended; the kernel did not tell how", 50.0),
    ]
    classified = classify(items, {"alive": False})
    assert classified.cause == "crash" and classified.cited == (1,)


def test_a_hang_needs_the_process_alive() -> None:
    items = [EvidenceItem("log", "a", "ERROR: deadlock: workers wait for the lock")]
    assert classify(items, {"alive": True}).cause == "hang"
    assert classify(items, {"alive": False}).cause == "unknown"


def test_operator_patterns_add_to_the_table() -> None:
    items = [EvidenceItem("log", "a", "E1234 ledger replica lagging behind primary")]
    assert classify(items).cause == "unknown"
    patterns = compile_patterns({"dependency": [r"replica lagging"]})
    assert classify(items, None, patterns).cause == "dependency"


def test_operator_patterns_are_validated_and_the_error_names_the_key() -> None:
    assert EvidenceConfig.model_validate({"causes": {"disk_io": ["nvme.*timeout"]}}).causes == {
        "disk_io": ["nvme.*timeout"]
    }
    with pytest.raises(ValidationError, match=r"causes\.disk_io\.0[\s\S]*not a regular expression"):
        EvidenceConfig.model_validate({"causes": {"disk_io": ["(unclosed"]}})
    with pytest.raises(ValidationError, match=r"causes\.gremlins"):
        EvidenceConfig.model_validate({"causes": {"gremlins": ["x"]}})


def test_one_list_of_classes_for_the_classifier_and_the_structured_analysis() -> None:
    assert CAUSES == CAUSE_CLASSES
    assert set(compile_patterns()) <= set(CAUSE_CLASSES)
    assert all(isinstance(p, re.Pattern) for ps in compile_patterns().values() for p in ps)
