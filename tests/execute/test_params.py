"""Placeholder values come only from validated fields."""

from __future__ import annotations

import pytest

from mapekd.errors import ActionError
from mapekd.execute.params import build_params, fill


def test_builds_validated_params() -> None:
    params = build_params(
        incident_id=3,
        rule="down",
        check="web",
        target="systemd:nginx.service",
        fields={"pid": 1234, "error": "x; rm -rf /"},
    )
    assert params == {
        "incident": "3",
        "rule": "down",
        "check": "web",
        "target": "systemd:nginx.service",
        "pid": "1234",
        "unit": "nginx.service",
    }


@pytest.mark.parametrize("target", ["process:a b", "http:x;rm", "p:$(id)", "p:`id`", "p:\nx"])
def test_rejects_unsafe_targets(target: str) -> None:
    with pytest.raises(ActionError):
        build_params(incident_id=1, rule="r", check="c", target=target, fields={})


def test_pid_only_from_an_integer_field() -> None:
    params = build_params(
        incident_id=1, rule="r", check="c", target="process:web", fields={"pid": "1; reboot"}
    )
    assert "pid" not in params
    with pytest.raises(ActionError, match=r"\{pid\}"):
        fill(["kill", "{pid}"], params)
