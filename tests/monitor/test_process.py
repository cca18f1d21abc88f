"""ProcessCheck against processes the tests start themselves."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

import psutil
import pytest

from mapekd.errors import ConfigError
from mapekd.monitor.base import Watcher
from mapekd.monitor.process import ProcessCheck
from mapekd.monitor.procfind import ProcessMatcher
from mapekd.monitor.proctable import ProcessTable

from .conftest import is_zombie, own_pidfds, wait_until

FIELDS = {
    "ok",
    "alive",
    "state",
    "detail",
    "pid",
    "count",
    "cpu_percent",
    "rss_bytes",
    "open_fds",
    "threads",
    "uptime_s",
    "error",
}


async def test_match_name_finds_the_process_by_its_exact_name(spawn, tmp_path: Path) -> None:
    # A process is named after the file it executes: a uniquely named link to Python.
    name = f"mk{secrets.token_hex(4)}"
    (tmp_path / name).symlink_to(os.path.realpath(sys.executable))
    proc = spawn(executable=str(tmp_path / name))

    [sample] = await ProcessCheck("svc", match_name=name).collect()

    assert sample.target == "process:svc"
    assert set(sample.fields) == FIELDS
    assert sample.fields["alive"] is True and sample.ok
    assert sample.fields["pid"] == proc.pid
    assert sample.fields["count"] == 1
    assert sample.fields["rss_bytes"] > 0 and sample.fields["threads"] >= 1
    assert sample.fields["open_fds"] >= 3  # our own child: readable
    assert sample.fields["uptime_s"] >= 0


def table_with_cmdlines() -> ProcessTable:
    table = ProcessTable()
    table.need_cmdline()
    return table


async def test_match_name_is_exact_not_a_prefix(spawn, tmp_path: Path) -> None:
    name = f"mk{secrets.token_hex(4)}"
    (tmp_path / name).symlink_to(os.path.realpath(sys.executable))
    spawn(executable=str(tmp_path / name))

    [sample] = await ProcessCheck("svc", match_name=name[:-1]).collect()

    assert sample.fields["alive"] is False and sample.fields["count"] == 0


async def test_cmdline_counts_every_match_and_measures_the_oldest(spawn, token: str) -> None:
    oldest = spawn(token)
    spawn(token)

    [sample] = await ProcessCheck("svc", cmdline=token).collect()

    assert sample.fields["count"] == 2
    assert sample.fields["pid"] == oldest.pid


async def test_pidfile_reports_the_live_pid(spawn, write_pidfile) -> None:
    proc = spawn()

    [sample] = await ProcessCheck("svc", pidfile=write_pidfile(proc.pid)).collect()

    assert sample.ok and sample.fields["pid"] == proc.pid and sample.fields["count"] == 1


async def test_missing_pidfile_is_a_dead_process_not_an_error(tmp_path: Path) -> None:
    [sample] = await ProcessCheck("svc", pidfile=str(tmp_path / "absent.pid")).collect()

    assert sample.fields["alive"] is False and sample.error is None
    assert set(sample.fields) == FIELDS  # the same keys as a live process, with None values


async def test_pidfile_without_a_pid_is_an_error_not_a_death(write_pidfile) -> None:
    [sample] = await ProcessCheck("svc", pidfile=write_pidfile("not-a-pid")).collect()

    # Unknown: `alive == false` must neither fire (a service mid-rewrite of its pidfile) nor clear.
    assert "alive" not in sample.fields and sample.fields["state"] == "unknown"
    assert sample.error is not None and "does not hold a pid" in sample.error


async def test_stale_pidfile_of_an_exited_process_is_dead(spawn, write_pidfile) -> None:
    proc = spawn()
    proc.kill()
    proc.wait()

    [sample] = await ProcessCheck("svc", pidfile=write_pidfile(proc.pid)).collect()

    assert sample.fields["alive"] is False and not sample.ok


async def test_the_daemons_own_process_never_matches(write_pidfile) -> None:
    [sample] = await ProcessCheck("svc", pidfile=write_pidfile(os.getpid())).collect()

    assert sample.fields["alive"] is False


def test_the_matcher_never_finds_its_own_process() -> None:
    own_cmdline = " ".join(psutil.Process().cmdline())

    found = ProcessMatcher(cmdline=own_cmdline).find(table_with_cmdlines())

    assert os.getpid() not in [proc.pid for proc in found.procs]


async def test_a_zombie_is_dead(spawn, token: str, write_pidfile) -> None:
    proc = spawn(token)
    os.kill(proc.pid, signal.SIGKILL)  # and not reaped yet: a zombie
    wait_until(lambda: is_zombie(proc.pid))

    [by_cmdline] = await ProcessCheck("a", cmdline=token).collect()
    [by_pidfile] = await ProcessCheck("b", pidfile=write_pidfile(proc.pid)).collect()

    assert by_cmdline.fields["alive"] is False and by_cmdline.fields["count"] == 0
    assert by_pidfile.fields["alive"] is False


async def test_cpu_percent_needs_two_collections_of_the_same_process(spawn, token: str) -> None:
    spawn(token)
    check = ProcessCheck("svc", cmdline=token)

    [first] = await check.collect()
    [second] = await check.collect()

    assert first.fields["cpu_percent"] is None
    assert isinstance(second.fields["cpu_percent"], float)


async def test_a_killed_process_is_reported_through_the_watch_at_once(spawn, token: str) -> None:
    proc = spawn(token)
    check = ProcessCheck("svc", cmdline=token)
    died = asyncio.Event()
    names: list[str] = []

    def on_event(name: str) -> None:
        names.append(name)
        died.set()

    assert isinstance(check, Watcher)
    check.start_watching(on_event)
    try:
        [sample] = await check.collect()  # arms the watch on the pid it found
        assert sample.ok
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(died.wait(), timeout=10)  # no collection in between
        assert names == ["svc"]
        [after] = await check.collect()
        assert after.fields["alive"] is False
    finally:
        check.stop_watching()


async def test_the_watch_follows_the_current_pid_without_leaking_fds(spawn, token: str) -> None:
    before = own_pidfds()
    first = spawn(token)
    check = ProcessCheck("svc", cmdline=token)
    check.start_watching(lambda name: None)
    await check.collect()
    await check.collect()
    # Same process, three pidfds and no more: the observer's (reused from one collection to the
    # next), the check's (for signals) and the watch's.
    assert own_pidfds() == before + 3

    first.kill()
    first.wait()
    second = spawn(token)
    for _ in range(50):  # the new process replaces the old handle and watch
        [sample] = await check.collect()
        if sample.fields["pid"] == second.pid:
            break
        await asyncio.sleep(0.05)
    assert sample.fields["pid"] == second.pid
    assert own_pidfds() == before + 3  # however many collections it took: no fd leaked

    check.stop_watching()
    check.close()
    assert own_pidfds() == before


async def test_no_watch_when_the_config_disables_it(spawn, token: str) -> None:
    proc = spawn(token)
    before = own_pidfds()
    check = ProcessCheck("svc", cmdline=token, watch=False)
    names: list[str] = []
    check.start_watching(names.append)

    await check.collect()
    assert own_pidfds() == before + 2  # the observer's and the check's (for signals); no watch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    await asyncio.sleep(0.3)  # a watch would have reported the death by now

    assert names == [] and not check.watching
    check.close()


def test_one_matcher_is_required_and_a_pidfile_may_add_one() -> None:
    with pytest.raises(ConfigError):
        ProcessCheck("svc", match_name="a", cmdline="b")
    with pytest.raises(ConfigError):
        ProcessCheck("svc")
    with pytest.raises(ConfigError):
        ProcessCheck("svc", pidfile="p", match_name="a", cmdline="b")
    with pytest.raises(ConfigError):
        ProcessCheck("svc", pidfile="p", unit="a.service")
    with pytest.raises(ConfigError):
        ProcessCheck("svc", user="root")  # narrows a matcher, is none
    ProcessCheck("svc", pidfile="p", cmdline="b")
    ProcessCheck("svc", unit="a.service", match_name="a", user=0)
