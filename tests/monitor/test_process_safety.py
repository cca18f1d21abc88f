"""Process checks that cannot be fooled (another user's process, an untrusted pidfile) or
stalled (a FIFO in place of a pidfile), against processes and files the tests create."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from mapekd.errors import ConfigError
from mapekd.monitor.base import collect_all
from mapekd.monitor.process import ProcessCheck
from mapekd.monitor.proctable import ProcessTable

from .conftest import wait_until

NOBODY = pwd.getpwnam("nobody").pw_uid
Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def sleeper() -> Iterator[tuple[str, Start]]:
    """A copy of `sleep` under a unique name anyone may run; start(user=...) runs it as root or
    as another user. Every process started is killed and reaped at the end."""
    where = Path(tempfile.mkdtemp(prefix="mapekd-test-"))
    where.chmod(0o755)
    name = f"mk{secrets.token_hex(4)}"
    shutil.copy("/bin/sleep", where / name)
    started: list[subprocess.Popen[bytes]] = []

    def start(user: str | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([str(where / name), "60"], user=user)
        started.append(proc)
        wait_until(lambda: psutil.Process(proc.pid).name() == name)  # exec'd
        return proc

    yield name, start
    for proc in started:
        proc.kill()
        proc.wait(10)
    shutil.rmtree(where)


async def test_another_users_older_same_named_process_does_not_hide_a_crash(sleeper) -> None:
    name, start = sleeper
    theirs = start(user="nobody")
    ours = start()

    [unnarrowed] = await ProcessCheck("any", match_name=name).collect()
    assert unnarrowed.fields["pid"] == theirs.pid  # the oldest of either user: the old trap
    check = ProcessCheck("svc", match_name=name, user="root")
    [before] = await check.collect()
    assert before.fields["pid"] == ours.pid and before.fields["count"] == 1
    ours.kill()
    ours.wait()
    [after] = await check.collect()

    assert after.fields["alive"] is False and after.fields["state"] == "dead"
    [still] = await ProcessCheck("any", match_name=name).collect()
    assert still.fields["alive"] is True  # without `user`, theirs still passes for ours


async def test_user_may_be_a_uid_and_a_pidfiles_pid_of_another_user_is_stale(sleeper, write_pidfile) -> None:
    _, start = sleeper
    theirs = start(user="nobody")
    pidfile = write_pidfile(theirs.pid)

    [by_uid] = await ProcessCheck("svc", pidfile=pidfile, user=NOBODY).collect()
    [by_root] = await ProcessCheck("svc", pidfile=pidfile, user="root").collect()

    assert by_uid.fields["state"] == "running" and by_uid.fields["pid"] == theirs.pid
    assert by_root.fields["state"] == "stale_pidfile" and by_root.fields["alive"] is False
    assert f"run by uid {NOBODY}, not 0" in str(by_root.fields["detail"])


async def test_a_pidfile_owned_by_another_user_is_not_trusted(spawn, write_pidfile) -> None:
    proc = spawn()
    pidfile = write_pidfile(proc.pid)
    os.chown(pidfile, NOBODY, -1)

    [refused] = await ProcessCheck("svc", pidfile=pidfile, cmdline="time.sleep").collect()
    [trusted] = await ProcessCheck("svc", pidfile=pidfile, user="nobody").collect()

    assert refused.fields["state"] == "unknown" and "alive" not in refused.fields
    assert "owned by nobody" in (refused.error or "") and "not trusted" in (refused.error or "")
    # Naming the user trusts its pidfile; the process it names must still be that user's (ours
    # is root's).
    assert trusted.fields["state"] == "stale_pidfile"


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda path, target: path.symlink_to(target), "a symbolic link"),
        (lambda path, target: os.mkfifo(path), "a FIFO"),
        (lambda path, target: path.mkdir(), "a directory"),
    ],
)
async def test_a_pidfile_that_is_not_a_regular_file_is_refused(
    spawn, write_pidfile, tmp_path: Path, make: Callable[[Path, str], None], kind: str
) -> None:
    proc = spawn()
    path = tmp_path / "odd.pid"
    make(path, write_pidfile(proc.pid))

    [sample] = await ProcessCheck("svc", pidfile=str(path)).collect()

    assert sample.fields["state"] == "unknown" and "alive" not in sample.fields
    assert f"is {kind}, not a regular file" in (sample.error or "")


async def test_a_fifo_pidfile_stalls_neither_its_check_nor_another(spawn, token: str, tmp_path: Path) -> None:
    fifo = tmp_path / "service.pid"
    os.mkfifo(fifo)
    proc = spawn(token)
    table = ProcessTable()  # shared by both, as the engine shares it
    blinded = ProcessCheck("fifo", pidfile=str(fifo), match_name="python3", timeout=5.0, table=table)
    other = ProcessCheck("other", cmdline=token, timeout=5.0, table=table)

    for _ in range(3):  # collection after collection: nothing piles up behind the FIFO
        table.invalidate()
        started = time.monotonic()
        samples = {s.target: s for s in await collect_all({"a": blinded, "b": other}, {"a": 5.0, "b": 5.0})}
        assert time.monotonic() - started < 5.0
        assert samples["process:fifo"].fields["state"] == "unknown"
        assert "a FIFO" in (samples["process:fifo"].error or "")
        assert samples["process:other"].fields["pid"] == proc.pid


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="systemd runs here: see test_systemd")
async def test_a_unit_where_systemd_does_not_run_is_unknown_never_dead() -> None:
    [sample] = await ProcessCheck("svc", unit="web.service").collect()

    assert sample.fields["state"] == "unknown" and "alive" not in sample.fields
    assert "web.service" in (sample.error or "") and "systemd is not running" in (sample.error or "")


def test_an_unknown_user_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        ProcessCheck("svc", match_name="x", user=f"no-such-{secrets.token_hex(3)}")
    assert info.value.path == "checks.svc.user"


async def test_a_stuck_check_reports_unknown_in_time_and_stalls_no_other(
    spawn, token: str, write_pidfile
) -> None:
    proc = spawn(token)
    table = ProcessTable()
    scanning = ProcessCheck("scan", cmdline=token, timeout=1.0, table=table)
    by_pidfile = ProcessCheck("pidfile", pidfile=write_pidfile(proc.pid), timeout=1.0, table=table)
    table.invalidate()

    with table._lock:  # the table scan is stuck (as a /proc read can be), held by this test
        started = time.monotonic()
        samples = {
            s.target: s for s in await collect_all({"a": scanning, "b": by_pidfile}, {"a": 1.0, "b": 1.0})
        }
        elapsed = time.monotonic() - started

    assert samples["process:scan"].fields["state"] == "unknown"
    assert "no answer within 1s" in (samples["process:scan"].error or "")
    assert samples["process:pidfile"].fields["pid"] == proc.pid
    assert elapsed < 1.0 + 5.0  # its own timeout, well before the cycle's hard cap matters
    table.invalidate()
    [recovered] = await scanning.collect()  # once unstuck, the check reports again
    assert recovered.fields["pid"] == proc.pid
