"""What a notification says, and how it looks to a generic JSON webhook or to Slack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mapekd.config.settings import NoticeEvent

Event = NoticeEvent

_TITLES: dict[str, str] = {
    "gave_up": "mapekd gave up healing",
    "escalated": "mapekd escalates: a person should look",
    "approval_needed": "mapekd needs an approval",
    "action_failed": "mapekd: a healing action failed",
    "resolved_after_failure": "mapekd: resolved after a failure",
}


@dataclass(frozen=True)
class Notice:
    event: Event
    incident_id: int
    decision_id: int
    signature: str
    target: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def title_of(event: Event) -> str:
    return _TITLES[event]


def json_payload(notice: Notice, sink: str) -> dict[str, Any]:
    """The generic payload; `status` and `params.status` keep the shape of an action's webhook."""
    return {
        "event": notice.event,
        "status": notice.event,
        "incident": notice.incident_id,
        "decision": notice.decision_id,
        "signature": notice.signature,
        "target": notice.target,
        "summary": notice.summary,
        "details": notice.details,
        "action": sink,
        "params": {"status": notice.event, "symptom": notice.summary},
    }


def slack_payload(notice: Notice, sink: str) -> dict[str, Any]:
    """An incoming-webhook message: `text` as the fallback, one section block with the facts.
    Observed text (signature, summary) is escaped: `<!channel>` or `<http://x|y>` in an alert's
    labels must reach Slack as text, never as a mention or a link."""
    title = _TITLES[notice.event]
    signature, summary = slack_escape(notice.signature), slack_escape(notice.summary)
    facts = f"*{signature}* (incident {notice.incident_id})\n{summary}"
    return {
        "text": f"{title}: {signature} — {summary}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
        ],
    }


def slack_escape(text: str) -> str:
    """Slack's rule for message text: `&`, `<` and `>` as HTML entities (`&` first), nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
