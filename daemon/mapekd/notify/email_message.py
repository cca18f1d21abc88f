"""What an e-mail about a notice or an action says: a plain-text message, bounded, its headers
safe whatever the observed text holds (a signature or summary comes from what was monitored)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from mapekd.config.actions import EmailActionConfig
from mapekd.notify.notice import Notice, title_of

SUBJECT_CHARS = 200
"""Longer subjects are cut: mail clients show about this much, and a header has a line limit."""


def notice_message(config: EmailActionConfig, notice: Notice) -> EmailMessage:
    lines = [
        title_of(notice.event),
        "",
        f"Signature: {notice.signature}",
        f"Target:    {notice.target}",
        f"Incident:  {notice.incident_id} (decision {notice.decision_id})",
        "",
        notice.summary,
    ]
    if notice.details:
        lines += ["", "Details:", json.dumps(notice.details, indent=2, default=str, sort_keys=True)]
    subject = f"{title_of(notice.event)}: {notice.signature}"
    return message(config, subject, "\n".join(lines))


def action_message(config: EmailActionConfig, facts: dict[str, Any]) -> EmailMessage:
    """The e-mail of the action itself (when a rule names it as a remedy): the incident's facts."""
    body = "\n".join(f"{key}: {value}" for key, value in facts.items())
    return message(config, f"mapekd action {config.name}: {facts.get('signature', '')}", body)


def message(config: EmailActionConfig, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = one_line(subject)[:SUBJECT_CHARS]
    msg["From"] = config.from_
    msg["To"] = ", ".join(config.to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=config.from_.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    if len(body) > config.max_body_chars:
        body = body[: config.max_body_chars] + f"\n[message cut after {config.max_body_chars} characters]"
    msg.set_content(body)
    return msg


def one_line(text: str) -> str:
    """Control characters (a CR or LF would start a header of its own) become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text).strip()
