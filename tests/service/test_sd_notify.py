"""sd_notify messages on real unix datagram sockets: a path, the abstract namespace, none."""

from __future__ import annotations

import logging
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.service.sd_notify import SdNotify, socket_address


@pytest.fixture
def path_socket() -> Iterator[tuple[str, socket.socket]]:
    # A short directory: unix socket paths are limited to 107 bytes, pytest's tmp_path can exceed it.
    with tempfile.TemporaryDirectory(prefix="nfy") as tmp:
        path = str(Path(tmp) / "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(5)
        yield path, sock
        sock.close()


def test_messages_on_a_path_socket(path_socket: tuple[str, socket.socket]) -> None:
    path, sock = path_socket
    sd_notify = SdNotify(path)
    try:
        assert sd_notify.ready("ok: 3 checks, 0 open incidents")
        assert sd_notify.watchdog()
        assert sd_notify.status("degraded: 1 of 3 checks failing (web)")
        assert sd_notify.stopping()
        received = [sock.recv(4096) for _ in range(4)]
    finally:
        sd_notify.close()
    assert received == [
        b"READY=1\nSTATUS=ok: 3 checks, 0 open incidents",
        b"WATCHDOG=1",
        b"STATUS=degraded: 1 of 3 checks failing (web)",
        b"STOPPING=1",
    ]


def test_abstract_namespace_socket() -> None:
    name = f"mapekd-test-notify-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        sd_notify = SdNotify("@" + name)
        try:
            before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            assert sd_notify.reloading()
            lines = sock.recv(4096).decode().splitlines()
        finally:
            sd_notify.close()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert lines[0] == "RELOADING=1"
    key, usec = lines[1].split("=")
    assert key == "MONOTONIC_USEC" and before <= int(usec) <= after


def test_status_stays_one_line(path_socket: tuple[str, socket.socket]) -> None:
    path, sock = path_socket
    sd_notify = SdNotify(path)
    try:
        sd_notify.status("first\nREADY=1")
        assert sock.recv(4096) == b"STATUS=first READY=1"
    finally:
        sd_notify.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    sd_notify = SdNotify(None)
    assert not sd_notify.enabled
    assert not sd_notify.ready() and not sd_notify.watchdog() and not sd_notify.stopping()
    assert sd_notify._sock is None, "a socket was created although nobody listens"


def test_unsupported_address_disables_notification(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mapekd.service"):
        assert socket_address("vsock:2:1234") is None
    assert "neither a path nor an abstract socket" in caplog.text


def test_a_vanished_socket_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sd_notify = SdNotify(str(tmp_path / "gone"))
    try:
        with caplog.at_level(logging.WARNING, logger="mapekd.service"):
            assert not sd_notify.watchdog()
            assert not sd_notify.watchdog()
    finally:
        sd_notify.close()
    assert [r.getMessage() for r in caplog.records] == ["cannot notify systemd"]
