"""Observed text reaches Slack as text: `&`, `<` and `>` escaped as Slack requires, so that an
alert named `<!channel>` mentions no one and `<http://evil|click>` links nowhere."""

from __future__ import annotations

from mapekd.notify.notice import Notice, json_payload, slack_escape, slack_payload

HOSTILE = "disk <!channel> & <http://evil.example|click here> > 90%"
ESCAPED = "disk &lt;!channel&gt; &amp; &lt;http://evil.example|click here&gt; &gt; 90%"


def test_slack_escape_follows_slacks_three_rules() -> None:
    assert slack_escape(HOSTILE) == ESCAPED
    assert slack_escape("&lt;") == "&amp;lt;"  # `&` first: an entity in the text stays literal
    assert slack_escape("*bold* _it_ `code`") == "*bold* _it_ `code`"


def test_signature_and_summary_are_escaped_in_every_slack_text() -> None:
    signature = "disk_alert@alert:<!here>/0a"
    notice = Notice("gave_up", 1, 2, signature, "alert:x/0a", HOSTILE)
    payload = slack_payload(notice, "slack")
    texts = [payload["text"], *(block["text"]["text"] for block in payload["blocks"])]
    for text in texts:
        assert "<" not in text and ">" not in text, text
    assert (
        ESCAPED in payload["text"]
        and "disk_alert@alert:&lt;!here&gt;/0a" in payload["blocks"][1]["text"]["text"]
    )
    assert json_payload(notice, "hook")["summary"] == HOSTILE  # a JSON sink gets the text as is
