"""The loop finds what a part can do through small Protocols, not its class: each built part must
keep meeting the Protocols its behaviour depends on (a renamed method would otherwise silently
turn a process watch, an alert inbox or a notice sink off)."""

from __future__ import annotations

from mapekd.assemble import Components, assemble
from mapekd.config.settings import Settings
from mapekd.model import Symptom
from mapekd.monitor.base import AlertInbox, Closeable, ProcessSource, ProcessWatcher, TargetSampler, Watcher
from mapekd.notify.sink import NoticeSink
from mapekd.shared_http import SharedHttp


def built() -> Components:
    settings = Settings.model_validate(
        {
            "checks": [
                {"name": "web", "type": "process", "match_name": "no-such-process-here"},
                {"name": "am", "type": "alertmanager"},
                {"name": "host", "type": "host"},
            ],
            "rules": [
                {"name": "web_down", "check": "web", "when": "alive == false"},
                {
                    "name": "disk_filling",
                    "check": "host",
                    "type": "trend",
                    "field": "disk_percent",
                    "threshold": 95,
                    "horizon": "1h",
                },
            ],
            "actions": [
                {"name": "page", "type": "webhook", "url": "http://127.0.0.1:9/hook"},
                {"name": "fix", "type": "command", "argv": ["true"]},
            ],
        }
    )
    return assemble(settings, http=SharedHttp(), base_env={})


def seams_of(part: object) -> set[str]:
    protocols = (Watcher, ProcessWatcher, ProcessSource, AlertInbox, TargetSampler, NoticeSink, Closeable)
    return {p.__name__ for p in protocols if isinstance(part, p)}


def test_each_check_and_action_meets_the_protocols_of_what_it_does() -> None:
    parts = built()

    assert seams_of(parts.checks["web"]) == {"Watcher", "ProcessWatcher", "ProcessSource", "Closeable"}
    assert seams_of(parts.checks["am"]) == {"Watcher", "AlertInbox", "TargetSampler"}
    assert seams_of(parts.checks["host"]) == set()
    assert seams_of(parts.actions["page"]) == {"NoticeSink"}
    assert seams_of(parts.actions["fix"]) == set()


def test_only_a_trend_rule_adds_facts_to_the_situation() -> None:
    rules = {rule.name: rule for rule in built().rules}
    symptom = Symptom("disk_filling", "host:/", "warning", "filling", {"eta_s": 120.0}, 0.0)

    assert rules["web_down"].situation_facts(symptom) is None
    assert rules["disk_filling"].situation_facts(symptom) == {
        "field": "disk_percent",
        "threshold": 95,
        "eta_s": 120.0,
    }
