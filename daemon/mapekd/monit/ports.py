"""`if failed [host H] port P [type tcp] [protocol X] [request "/r"] [with timeout N seconds]`
and `if failed url URL`: an `http` check where the protocol is HTTP, else a TCP connect (proposed
as a comment while this version has no `tcp` check type)."""

from __future__ import annotations

import re
from typing import Any

from mapekd.monit.conditions import IfStmt

_PORT = re.compile(r"\bport (\d{1,5})\b")
_HOST = re.compile(r"\b(?:host|address) (\S+)")
_PROTOCOL = re.compile(r"\b(?:proto|protocol) (\w+)")
_TIMEOUT = re.compile(r"\btimeout (\d+) seconds?\b")
_URL = re.compile(r"\burl \"?(https?://[^\s\"]+)")


def is_port_test(stmt: IfStmt) -> bool:
    return stmt.cond.startswith("failed") and bool(_PORT.search(stmt.cond) or _URL.search(stmt.cond))


def port_check(stmt: IfStmt, name: str, default_host: str) -> tuple[str, dict[str, Any]] | str:
    """(`http` or `tcp`, the check), or why it has no translation."""
    cond = stmt.cond
    timeout = _TIMEOUT.search(cond)
    extra: dict[str, Any] = {"timeout": f"{timeout.group(1)}s"} if timeout else {}
    url = _URL.search(cond)
    if url:
        return "http", {"name": name, "type": "http", "url": url.group(1), **extra}
    if re.search(r"\btype udp\b", cond):
        return "UDP has no check here (mapekd tests TCP and HTTP)"
    if "unixsocket" in cond:
        return "unix sockets have no check here"
    port = int(_PORT.search(cond).group(1))  # type: ignore[union-attr]  # is_port_test said so
    host_match = _HOST.search(cond)
    host = host_match.group(1).strip('"') if host_match else default_host
    protocol = _PROTOCOL.search(cond)
    kind = protocol.group(1) if protocol else "default"
    if kind in ("http", "https"):
        request = _request(stmt)
        url_text = f"{kind}://{_bracket(host)}:{port}{request}"
        return "http", {"name": name, "type": "http", "url": url_text, **extra}
    return "tcp", {
        "name": name,
        "type": "tcp",
        "host": host,
        "port": port,
        **_PROTOCOLS.get(kind, {}),
        **extra,
    }


_PROTOCOLS: dict[str, dict[str, str]] = {
    "ssh": {"expect": "^SSH-"},
    "smtp": {"expect": "^220"},
    "ftp": {"expect": "^220"},
    "pop": {"expect": "^\\+OK"},
    "imap": {"expect": "^\\* OK"},
    "redis": {"send": "PING\r\n", "expect": "^\\+PONG"},
    "memcache": {"send": "version\r\n", "expect": "^VERSION "},
}
"""Monit protocol tests whose first exchange a tcp check can make: the greeting or the answer to
one harmless command. Any other protocol is a connect only (the rule's comment says so)."""


def protocol_of(stmt: IfStmt) -> str | None:
    match = _PROTOCOL.search(stmt.cond)
    return match.group(1) if match else None


def _request(stmt: IfStmt) -> str:
    match = re.search(r"\brequest (?:\"([^\"]*)\"|(\S+))", stmt.cond)
    text = (match.group(1) or match.group(2)) if match else "/"
    return text if text.startswith("/") else f"/{text}"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
