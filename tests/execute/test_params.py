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


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("disk:/var/../etc", "'..' segment"),
        ("alert:../0a", "'..' segment"),
        ("promql:c/instance=x/..", "'..' segment"),
        ("disk:..", "'..' segment"),
        ("/etc/passwd", "starts with '/'"),
        ("--config=/tmp/x", "starts with '-'"),
    ],
)
def test_rejects_targets_that_lead_out_of_a_path_or_read_as_options(target: str, reason: str) -> None:
    with pytest.raises(ActionError, match=reason):
        build_params(incident_id=1, rule="r", check="c", target=target, fields={})


@pytest.mark.parametrize(
    "target",
    [
        "disk:/var",
        "disk:/",
        "promql:check/instance=127.0.0.1:9100",
        "promql:check/job=node/path=a..b",
        "alert:Name/5b8f0a2e9c1d3f47",
        "alert:Web_Down/0a",
        "process:web",
        "systemd:nginx.service",
        "http:web_health",
        "check:web",
    ],
)
def test_the_targets_checks_make_still_pass(target: str) -> None:
    assert build_params(incident_id=1, rule="r", check="c", target=target, fields={})["target"] == target


def test_pid_only_from_an_integer_field() -> None:
    params = build_params(
        incident_id=1, rule="r", check="c", target="process:web", fields={"pid": "1; reboot"}
    )
    assert "pid" not in params
    with pytest.raises(ActionError, match=r"\{pid\}"):
        fill(["kill", "{pid}"], params)
