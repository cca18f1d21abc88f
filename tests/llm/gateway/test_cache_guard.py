"""The semantic cache's lexical guard: meaning-flipping differences never share an answer."""

from __future__ import annotations

import pytest

from mapekd.llm.cache import guard_reason

BLOCKED = [
    ("restart nginx", "stop nginx", "actions"),
    ("turn on the lights", "turn off the lights", "actions"),
    ("enable the firewall", "disable the firewall", "actions"),
    ("scale the workers up", "scale the workers down", "actions"),
    ("increase the memory limit", "decrease the memory limit", "actions"),
    ("is the service running", "is the service not running", "negation"),
    ("Don't restart nginx", "restart nginx", "negation"),
    ("restart nginx", "restart postgres", "content"),
    ("why is nginx slow", "why is apache slow", "content"),
    ("free disk on web1", "free disk on web2", "numbers"),
    ("open port 8080", "open port 8081", "numbers"),
    ("migrate from mysql to postgres", "migrate from postgres to mysql", "follows"),
    ("copy the logs from web to backup", "copy the logs from backup to web", "follows"),
    ("restart nginx", "reload nginx", "actions"),
    ("kill process 1234", "kill process 1243", "numbers"),
]

ALLOWED = [
    ("restart nginx", "Restart nginx."),
    ("How do I restart nginx?", "what's the way to restart nginx"),
    ("Restart the nginx service", "restart nginx service please"),
    ("reboot web1", "restart web1"),
    ("why is the ram usage high on db1", "why is memory utilisation high on db1"),
    ("can you show me the nginx logs", "show the nginx logs"),
]


@pytest.mark.parametrize(("a", "b", "why"), BLOCKED)
def test_meaning_flips_are_blocked(a: str, b: str, why: str) -> None:
    reason = guard_reason(a, b)
    assert reason is not None and why in reason
    assert guard_reason(b, a) is not None  # symmetric


@pytest.mark.parametrize(("a", "b"), ALLOWED)
def test_rewordings_pass(a: str, b: str) -> None:
    assert guard_reason(a, b) is None


def test_on_as_a_preposition_is_not_a_switch() -> None:
    assert guard_reason("high load on web1", "high load on web1 now") is None
    assert guard_reason("switch the pump on", "switch the pump off") is not None
