"""The sd_notify(3) protocol, written out: one datagram of newline-separated `KEY=VALUE` lines
sent to the unix socket systemd names in $NOTIFY_SOCKET (a path, or `@name` for the abstract
namespace). Without a socket every call is a no-op, so the daemon behaves the same outside
systemd. A failed send is logged once and never stops the daemon."""

from __future__ import annotations

import logging
import socket
import time

log = logging.getLogger("mapekd.service")
SEND_TIMEOUT_S = 1.0
"""A datagram to a busy service manager may block; never hold the event loop longer than this."""


def socket_address(value: str | None) -> str | bytes | None:
    """$NOTIFY_SOCKET as an address for sendto(): `@name` is abstract (a leading NUL byte)."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    log.warning(
        "NOTIFY_SOCKET is neither a path nor an abstract socket name; not notifying systemd",
        extra={"event": {"event": "notify_unsupported", "notify_socket": value}},
    )
    return None


class SdNotify:
    """The daemon's end of $NOTIFY_SOCKET: what it tells the service manager."""

    def __init__(self, socket_path: str | None) -> None:
        self.address = socket_address(socket_path)
        self._sock: socket.socket | None = None
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *lines: str) -> bool:
        """Send one message; True if it left, False if disabled or the send failed."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.settimeout(SEND_TIMEOUT_S)
            self._sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as exc:
            if not self._failed:  # once: a missing socket would otherwise log on every ping
                self._failed = True
                log.warning(
                    "cannot notify systemd",
                    extra={"event": {"event": "notify_failed", "error": str(exc)}},
                )
            return False
        self._failed = False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *_status_line(status))

    def reloading(self) -> bool:
        """RELOADING=1 with the monotonic timestamp newer systemd uses to match it to the reload."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(*_status_line(text))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _status_line(text: str | None) -> list[str]:
    # One line: a newline would start a new KEY=VALUE assignment in the message.
    return [] if text is None else ["STATUS=" + " ".join(text.splitlines())]
