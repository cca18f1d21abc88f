"""How a health-check request fails: the class name leads the error text of the check's sample."""

from __future__ import annotations


class ProbeError(Exception):
    """The endpoint did not give a complete HTTP answer. The class name leads the sample's error."""


class ConnectError(ProbeError):
    """No connection (refused, unreachable, unknown host, TLS handshake or certificate)."""


class ReadError(ProbeError):
    """The connection broke before the answer was complete."""


class ProtocolError(ProbeError):
    """What came back is not an HTTP/1.x answer."""
