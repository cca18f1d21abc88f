"""The alertmanager check: one target per fingerprint, deduplicated, resolved, bounded, kicking."""

from __future__ import annotations

from typing import Any

from mapekd.config.checks import AlertmanagerCheckConfig
from mapekd.model import Sample
from mapekd.monitor.alerts import Alert, AlertmanagerCheck, adopt_alerts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def check(clock: Clock, **config: Any) -> tuple[AlertmanagerCheck, list[str]]:
    kicks: list[str] = []
    am = AlertmanagerCheck(AlertmanagerCheckConfig(name="am", type="alertmanager", **config), clock)
    am.start_watching(kicks.append)
    return am, kicks


def alert(name: str, fp: str, firing: bool = True, **labels: str) -> Alert:
    return Alert(
        labels={"alertname": name, **labels},
        firing=firing,
        annotations={"summary": f"{name} fired", "bad key": "dropped"},
        fingerprint=fp,
    )


async def collect(am: AlertmanagerCheck) -> dict[str, Sample]:
    return {s.target: s for s in await am.collect()}


async def test_one_target_per_fingerprint_with_fields() -> None:
    am, kicks = check(Clock())
    assert am.receive([alert("DiskFull", "a1b2c3d4e5f60718", severity="critical")]) == 1
    samples = await collect(am)
    sample = samples["alert:DiskFull/a1b2c3d4e5f60718"]
    assert sample.fields["firing"] is True and sample.fields["ok"] is False
    assert (
        sample.fields["label_severity"] == "critical"
        and sample.fields["annotation_summary"] == "DiskFull fired"
    )
    assert "annotation_bad key" not in sample.fields
    assert kicks == ["am"]


async def test_repeats_are_deduplicated_and_do_not_kick() -> None:
    am, kicks = check(Clock())
    am.receive([alert("A", "00000000000000aa")])
    assert am.receive([alert("A", "00000000000000aa"), alert("A", "00000000000000aa")]) == 0
    assert len(await am.collect()) == 1 and kicks == ["am"]


async def test_resolved_is_reported_then_forgotten() -> None:
    clock = Clock()
    am, kicks = check(clock, resolved_retention=60)
    am.receive([alert("A", "00000000000000aa")])
    am.receive([alert("A", "00000000000000aa", firing=False)])
    sample = (await collect(am))["alert:A/00000000000000aa"]
    assert sample.fields["firing"] is False and sample.fields["resolved_at"] == 1000.0
    assert kicks == ["am", "am"]
    clock.now += 61
    assert await am.collect() == []


async def test_bounded_inbox_drops_resolved_first_then_refuses() -> None:
    am, _ = check(Clock(), max_alerts=2)
    am.receive([alert("A", "0a"), alert("B", "0b", firing=False)])
    am.receive([alert("C", "0c")])
    assert sorted(await collect(am)) == ["alert:A/0a", "alert:C/0c"]
    assert am.receive([alert("D", "0d")]) == 0 and am.dropped == 1


async def test_match_labels_and_unsafe_names() -> None:
    am, _ = check(Clock(), match_labels={"team": "web"})
    am.receive([alert("Other", "01", team="db"), alert("Web Down; rm -rf", "not-hex", team="web")])
    (target,) = await collect(am)
    assert target.startswith("alert:Web_Down__rm_-rf/") and len(target.split("/")[1]) == 16


async def test_reload_keeps_the_alerts() -> None:
    old, _ = check(Clock())
    old.receive([alert("A", "0a")])
    new, _ = check(Clock())
    adopt_alerts({"am": old}, {"am": new})
    assert list(await collect(new)) == ["alert:A/0a"]
