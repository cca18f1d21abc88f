"""A NOTIFY_SOCKET the test owns: a real unix datagram socket read by a thread that timestamps
every message, as systemd would receive them."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.conftest import wait_for


@dataclass(frozen=True)
class Message:
    at: float
    """time.monotonic() when the datagram arrived."""
    fields: dict[str, str]

    def has(self, key: str, value: str | None = None) -> bool:
        return key in self.fields and (value is None or self.fields[key] == value)


class NotifyListener:
    def __init__(self, address: str) -> None:
        """`address`: a path, or `@name` for the abstract namespace (as in $NOTIFY_SOCKET)."""
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.2)
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.messages.append(Message(time.monotonic(), fields))

    def received(self, key: str, value: str | None = None, *, after: float = 0.0) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.at >= after and m.has(key, value)]

    def wait(
        self, key: str, value: str | None = None, *, after: float = 0.0, timeout: float = 60.0
    ) -> Message:
        found = wait_for(
            lambda: self.received(key, value, after=after), timeout=timeout, message=f"{key}={value or '*'}"
        )
        return found[0]

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[NotifyListener]:
    sock = NotifyListener(f"@mapekd-test-{uuid.uuid4().hex}")
    yield sock
    sock.close()
