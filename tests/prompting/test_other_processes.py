"""Other users' secrets stay out of the analysis prompt: real processes, started as root and as
`nobody`, carry canary secrets in their command lines; only the watched process's command line
is shown (redacted), the others by name, CPU and memory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from mapekd.config.settings import Settings
from mapekd.model import Sample
from mapekd.prompting import HostSnapshot, Prompts, Redactor, analyze_context, snapshot_host
from mapekd.prompting.host import OtherProcesses
from mapekd.situation import watched_pids
from tests.conftest import wait_for
from tests.prompting.conftest import World

BUSY = "import time\nend = time.time() + 60\nwhile time.time() < end: pass"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")
ROOT_CANARY = "canary-root-plain-5150"  # no pattern knows these: only hiding the line helps
NOBODY_CANARY = "canary-nobody-plain-7070"
WATCHED_CANARY = "canary-watched-mysql-3306"


class Started:
    def __init__(self) -> None:
        self.watched = self.root = self.nobody = 0


@pytest.fixture(scope="module")
def started() -> Iterator[Started]:
    if SYSTEM_PYTHON is None:
        pytest.fail("a system python3 is needed (one `nobody` may run)")
    processes = [
        subprocess.Popen(
            ["python3", "-c", BUSY, "watched-web", "mysql", "-u", "app", f"-p{WATCHED_CANARY}"],
            executable=sys.executable,
        ),
        subprocess.Popen(["python3", "-c", BUSY, "--note", ROOT_CANARY], executable=sys.executable),
        subprocess.Popen(
            ["python3", "-c", BUSY, "-p", NOBODY_CANARY], executable=SYSTEM_PYTHON, user="nobody"
        ),
    ]
    pids = Started()
    pids.watched, pids.root, pids.nobody = (p.pid for p in processes)
    yield pids
    for process in processes:
        process.kill()
        process.wait()


def caught(pids: Started, others: OtherProcesses) -> HostSnapshot | None:
    """A snapshot that saw all three busy (a loaded machine may not schedule them at once)."""
    snapshot = snapshot_host(top=50, interval=0.5, watched={pids.watched}, others=others)
    measured = {p.pid for p in (*snapshot.top_cpu, *snapshot.top_memory)}
    wanted = {pids.watched, pids.root, pids.nobody} if others != "none" else {pids.watched}
    return snapshot if wanted <= measured else None


def prompt_text(prompts: Prompts, world: World, host: HostSnapshot) -> str:
    rendered = prompts.render("analyze.j2", analyze_context(world.situation, host, []))
    redacted = Redactor.from_settings(Settings()).redact(rendered.messages)
    return "\n".join(m.content for m in redacted)


def test_other_processes_are_named_without_their_command_lines(
    started: Started, prompts: Prompts, world: World
) -> None:
    host = wait_for(lambda: caught(started, "names"), timeout=30, message="the processes measured")
    by_pid = {p.pid: p for p in (*host.top_cpu, *host.top_memory)}
    assert by_pid[started.root].cmdline is None and by_pid[started.nobody].cmdline is None
    assert by_pid[started.nobody].name.startswith("python3")  # still listed, by name
    text = prompt_text(prompts, world, host)
    for canary in (ROOT_CANARY, NOBODY_CANARY, WATCHED_CANARY):
        assert canary not in text, canary
    assert f'"pid":{started.nobody}' in text and f'"pid":{started.root}' in text
    # the watched process's own facts are there, its secret redacted
    assert "watched-web mysql -u app -p[REDACTED]" in text


def test_none_lists_only_the_watched_processes_and_counts_the_others(
    started: Started, prompts: Prompts, world: World
) -> None:
    host = wait_for(lambda: caught(started, "none"), timeout=30, message="the watched process measured")
    listed = {p.pid for p in (*host.top_cpu, *host.top_memory)}
    assert listed == {started.watched}
    assert host.other_processes.count >= 2 and host.other_processes.rss_bytes > 0
    text = prompt_text(prompts, world, host)
    assert f'"pid":{started.nobody}' not in text and NOBODY_CANARY not in text
    assert host.to_context()["other_processes"]["count"] == host.other_processes.count


def test_full_shows_every_command_line_when_asked(started: Started, prompts: Prompts, world: World) -> None:
    host = wait_for(lambda: caught(started, "full"), timeout=30, message="the processes measured")
    text = prompt_text(prompts, world, host)
    # opted in: the lines are there (redacted by shape only), so the default above is what hides them
    assert ROOT_CANARY in text and NOBODY_CANARY in text and WATCHED_CANARY not in text


def test_watched_pids_come_from_the_process_checks_samples() -> None:
    samples = [
        Sample("web", "process:web", {"ok": True, "pid": 4242}),
        Sample("web", "process:web", {"ok": False, "pid": None}),
        Sample("api", "http:api", {"ok": True, "pid": 99}),
        Sample("db", "process:db", {"ok": True, "pid": True}),
    ]
    assert watched_pids(samples) == {4242}
