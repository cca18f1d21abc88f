"""Monit's `set` statements: the cycle (`set daemon`), mail (`set mailserver`, `set alert`,
`set mail-format`'s from) as an `email` action; the rest is noted as not translated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mapekd.monit.parser import Stanza

_ADDRESS = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}")
_NOT_HERE = {
    "log": "mapekd logs to stdout/the journal (`daemon.log_format`)",
    "httpd": "the API is configured in `api`",
    "idfile": "no equivalent",
    "statefile": "the knowledge base is `knowledge.path`",
    "eventqueue": "notices are retried by `notifications.attempts`",
    "pidfile": "systemd runs mapekd",
    "limits": "bounds are built in",
}


@dataclass
class Globals:
    cycle_s: int | None = None
    mail: dict[str, Any] | None = None
    recipients: list[str] = field(default_factory=list)
    sender: str | None = None
    notes: list[str] = field(default_factory=list)

    def see(self, stanza: Stanza) -> None:
        tokens = stanza.head.tokens
        words = stanza.head.words()
        what = words[1] if len(words) > 1 else ""
        if what == "daemon" and len(words) > 2 and words[2].isdigit():
            self.cycle_s = int(words[2])
            if len(words) > 3:
                self.notes.append(f"`{stanza.head.text()}`: only the cycle is translated")
        elif what == "mailserver":
            self._mailserver(stanza)
        elif what == "alert":
            self.recipients += [t.text for t in tokens[2:3] if _ADDRESS.fullmatch(t.text)]
            if len(tokens) > 3:
                self.notes.append(f"`{stanza.head.text()}`: event filters are `notifications.events` here")
        elif what == "mail-format":
            found = [t.text for t in tokens if _ADDRESS.fullmatch(t.text)]
            self.sender = found[0] if found else None
        else:
            why = _NOT_HERE.get(what, "no equivalent")
            self.notes.append(f"not translated: `{stanza.head.text()}`: {why}")

    def _mailserver(self, stanza: Stanza) -> None:
        words = stanza.head.words()
        first = words[2 : words.index(",")] if "," in words else words[2:]
        port = first[first.index("port") + 1] if "port" in first[:-1] else "25"
        tls = any(w in first for w in ("tls", "tlsv1", "tlsv12", "tlsv13", "ssl", "sslv3", "auto"))
        self.mail = {"host": first[0], "port": int(port) if port.isdigit() else 25, "starttls": tls}
        if "username" in first:
            self.notes.append(
                "set mailserver ... username/password: the password is not copied; set `username` on "
                "the `mail` action and the password as MAPEKD_ACTIONS__MAIL__PASSWORD"
            )
        if "," in words:
            self.notes.append("set mailserver: only the first server is used (one relay per email action)")

    def email_action(self) -> tuple[dict[str, Any], list[str]] | None:
        if not self.recipients:
            return None
        comments = ["monit: set alert " + ", ".join(self.recipients)]
        server = self.mail
        if server is None:
            server = {"host": "localhost", "port": 25, "starttls": False}
            comments.append("No `set mailserver`: Monit's default, localhost port 25.")
        sender = self.sender or "monit@localhost"
        action = {"name": "mail", "type": "email", **server, "from": sender, "to": self.recipients}
        return action, comments
