"""The one enforcement point before every remedy: caps on effects and on what runs at once,
approvals for high risk whatever the source, maintenance windows, and a reload in between."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from mapekd.assemble import assemble
from mapekd.config.settings import Settings
from mapekd.plan.enforcer import Admitted, Enforcer, GiveUp, Held, NeedsApproval, Refused
from mapekd.plan.ledger import Ledger
from mapekd.plan.proposal import Proposal
from mapekd.shared_http import SharedHttp

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()  # a Monday, noon UTC


def settings(**policy: Any) -> Settings:
    command = {"type": "command", "argv": [sys.executable, "-c", "pass"]}
    return Settings.model_validate(
        {
            "checks": [{"name": "web", "type": "process", "match_name": "web"}],
            "actions": [
                {"name": "cleanup", **command},
                {"name": "per_target", **command, "argv": ["/bin/true", "{target}"]},
                {"name": "kill_web", "type": "signal", "check": "web", "risk": "medium"},
                {"name": "reboot", **command, "risk": "high"},
                {"name": "restart_web", "type": "systemd", "verb": "restart", "units": ["web.service"]},
            ],
            "policy": {"cooldown": "60s", "max_actions": 3, "window": "10m", **policy},
        }
    )


def enforcer(config: Settings) -> Enforcer:
    parts = assemble(config, http=SharedHttp(), base_env={})
    return Enforcer(config, parts.actions, Ledger(config.policy.window))


def admit(e: Enforcer, action: str, target: str, at: float = NOW, **proposal: Any) -> Any:
    p = Proposal("act", action, proposal.pop("source", "rule"), "why", **proposal)
    return e.admit(p, target, e.configs[action], at)


def test_a_flood_of_distinct_targets_is_one_effect() -> None:
    e = enforcer(settings())
    first = admit(e, "cleanup", "alert:DiskFull/0001")
    assert isinstance(first, Admitted) and first.effect == "cleanup"
    held = [admit(e, "cleanup", f"alert:DiskFull/{i:04}") for i in range(1, 50)]
    assert all(isinstance(h, Held) for h in held), "one execution in flight per effect"
    first.lease.release()
    assert isinstance(admit(e, "cleanup", "alert:DiskFull/0002", NOW + 1), Held), "cooldown of the effect"
    for i in range(2):
        done = admit(e, "cleanup", f"alert:DiskFull/{i + 3:04}", NOW + 61 * (i + 1))
        assert isinstance(done, Admitted)
        done.lease.release()
    gave_up = admit(e, "cleanup", "alert:DiskFull/0099", NOW + 200)
    assert isinstance(gave_up, GiveUp) and gave_up.counter.used == 3


def test_an_argv_naming_its_target_is_an_effect_per_target() -> None:
    e = enforcer(settings())
    a, b = admit(e, "per_target", "process:a"), admit(e, "per_target", "process:b")
    assert isinstance(a, Admitted) and isinstance(b, Admitted) and a.effect != b.effect


def test_a_signal_is_one_effect_per_check() -> None:
    e = enforcer(settings())
    first = admit(e, "kill_web", "http:web")
    assert isinstance(first, Admitted) and first.effect == "kill_web@check:web"
    assert isinstance(admit(e, "kill_web", "process:web"), Held)


def test_at_most_max_in_flight_overall() -> None:
    e = enforcer(settings(max_in_flight=2))
    running = [admit(e, "per_target", f"process:p{i}") for i in range(2)]
    assert all(isinstance(r, Admitted) for r in running)
    assert isinstance(admit(e, "per_target", "process:p9"), Held)
    running[0].lease.release()
    assert isinstance(admit(e, "per_target", "process:p9"), Admitted)


def test_max_executions_per_window_overall() -> None:
    e = enforcer(settings(max_executions=2, max_actions=100))
    for i in range(2):
        admit(e, "per_target", f"process:p{i}", NOW + i).lease.release()
    held = admit(e, "per_target", "process:p5", NOW + 5)
    assert isinstance(held, Held) and "max_executions" in held.reason
    assert isinstance(admit(e, "per_target", "process:p5", NOW + 601), Admitted)


def test_high_risk_needs_an_approval_from_every_source() -> None:
    e = enforcer(settings())
    for source in ("rule", "knowledge", "llm", "policy"):
        assert isinstance(admit(e, "reboot", "host", source=source), NeedsApproval), source
    assert isinstance(admit(e, "reboot", "host", source="knowledge", approval=7), Admitted)


def test_a_one_unit_systemd_action_is_no_remedy_for_other_targets() -> None:
    e = enforcer(settings())
    assert isinstance(admit(e, "restart_web", "alert:WebDown/1"), Refused)
    assert isinstance(admit(e, "restart_web", "systemd:web.service"), Admitted)


def test_a_reload_in_between_drops_what_it_removed_or_changed() -> None:
    old = settings()
    e = enforcer(old)
    decided_with = e.configs["cleanup"]
    new = settings()
    changed = new.model_copy(
        update={
            "actions": [
                a if a.name != "cleanup" else a.model_copy(update={"timeout": 1.0}) for a in new.actions
            ]
        }
    )
    e.configure(changed, assemble(changed, http=SharedHttp(), base_env={}).actions)
    refused = e.admit(Proposal("act", "cleanup", "llm", "why"), "host", decided_with, NOW)
    assert isinstance(refused, Refused) and "changed" in refused.reason
    removed = changed.model_copy(update={"actions": [a for a in changed.actions if a.name != "cleanup"]})
    e.configure(removed, assemble(removed, http=SharedHttp(), base_env={}).actions)
    refused = e.admit(Proposal("act", "cleanup", "llm", "why"), "host", decided_with, NOW)
    assert isinstance(refused, Refused) and "no longer configured" in refused.reason


def test_maintenance_windows_defer_medium_risk_only() -> None:
    e = enforcer(settings(windows=[{"cron": "0 2 * * mon-fri", "duration": "2h", "timezone": "UTC"}]))
    deferred = admit(e, "kill_web", "process:web")  # Monday noon: outside the window
    assert isinstance(deferred, NeedsApproval)
    tuesday_2am = datetime(2026, 12, 8, 2, 0, tzinfo=UTC).timestamp()
    assert deferred.not_before == tuesday_2am and deferred.expires_at == tuesday_2am + 7200
    inside = admit(e, "kill_web", "process:web", tuesday_2am + 600)
    assert isinstance(inside, Admitted)
    inside.lease.release()
    assert isinstance(admit(e, "cleanup", "host"), Admitted), "low risk acts at once"
    assert isinstance(admit(e, "reboot", "host", tuesday_2am + 60), NeedsApproval), "high: window or not"


def test_without_windows_medium_risk_acts() -> None:
    assert isinstance(admit(enforcer(settings()), "kill_web", "process:web"), Admitted)
