"""The alertmanager check: one target per fingerprint, deduplicated, resolved, bounded, kicking."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mapekd.api.alertmanager import WebhookPayload
from mapekd.config.checks import AlertmanagerCheckConfig
from mapekd.execute.params import build_params
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


def alert(name: str, fp: str, firing: bool = True, ends_at: float | None = None, **labels: str) -> Alert:
    return Alert(
        labels={"alertname": name, **labels},
        firing=firing,
        annotations={"summary": f"{name} fired", "bad key": "dropped"},
        fingerprint=fp,
        ends_at=ends_at,
    )


async def collect(am: AlertmanagerCheck) -> dict[str, Sample]:
    """The samples of the alerts (without the check's own sample `alert:am`)."""
    return {s.target: s for s in await am.collect() if s.target != "alert:am"}


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
    assert len(await collect(am)) == 1 and kicks == ["am"]


async def test_resolved_is_reported_then_forgotten() -> None:
    clock = Clock()
    am, kicks = check(clock, resolved_retention=60)
    am.receive([alert("A", "00000000000000aa")])
    am.receive([alert("A", "00000000000000aa", firing=False)])
    sample = (await collect(am))["alert:A/00000000000000aa"]
    assert sample.fields["firing"] is False and sample.fields["resolved_at"] == 1000.0
    assert kicks == ["am", "am"]
    clock.now += 61
    assert await collect(am) == {}


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


async def own(am: AlertmanagerCheck) -> dict[str, Any]:
    samples = [s for s in await am.collect() if s.target == "alert:am"]
    assert len(samples) == 1
    return samples[0].fields


async def test_an_alert_past_its_ends_at_expires_without_a_resolve_notice() -> None:
    clock = Clock()
    am, _ = check(clock, resolved_retention=60)
    am.receive([alert("Gone", "0a", ends_at=990.0), alert("Later", "0b", ends_at=1030.0)])
    samples = await collect(am)
    gone, later = samples["alert:Gone/0a"].fields, samples["alert:Later/0b"].fields
    assert gone["firing"] is False and gone["ok"] is True and gone["expired"] is True
    assert gone["resolved_at"] == 990.0
    assert later["firing"] is True and later["expired"] is False and later["ends_at"] == 1030.0
    assert (await own(am))["firing_alerts"] == 1
    clock.now = 1031.0  # no push since: Later's endsAt passed all the same
    later = (await collect(am))["alert:Later/0b"].fields
    assert later["firing"] is False and later["expired"] is True and later["resolved_at"] == 1030.0
    clock.now = 1051.0  # Gone expired more than resolved_retention ago: forgotten
    assert sorted(await collect(am)) == ["alert:Later/0b"]


async def test_a_renewed_ends_at_keeps_the_alert_firing() -> None:
    clock = Clock()
    am, _ = check(clock)
    am.receive([alert("A", "0a", ends_at=1010.0)])
    clock.now = 1005.0
    assert am.receive([alert("A", "0a", ends_at=1020.0)]) == 1
    clock.now = 1015.0
    assert (await collect(am))["alert:A/0a"].fields["firing"] is True


async def test_a_full_inbox_evicts_expired_then_resolved_then_the_least_recently_notified() -> None:
    clock = Clock()
    am, _ = check(clock, max_alerts=4)
    am.receive(
        [alert("Old", "01"), alert("Resolved", "02", firing=False), alert("Expired", "03", ends_at=999.0)]
    )
    am.receive([alert("Newer", "04")])
    clock.now += 1
    am.receive([alert("Old", "01")])  # notified again: now the most recent
    for new, evicted in [("05", "Expired"), ("06", "Resolved"), ("07", "Newer"), ("08", "Old")]:
        assert am.receive([alert("New", new)]) == 1
        assert not any(t.startswith(f"alert:{evicted}/") for t in await collect(am)), evicted
    assert sorted(await collect(am)) == ["alert:New/05", "alert:New/06", "alert:New/07", "alert:New/08"]
    assert (await own(am))["evicted_total"] == 4


async def test_a_resolved_newcomer_never_displaces_a_firing_alert_and_is_counted() -> None:
    am, _ = check(Clock(), max_alerts=2)
    am.receive([alert("A", "0a"), alert("B", "0b")])
    assert am.receive([alert("C", "0c", firing=False), alert("D", "0d", ends_at=1.0)]) == 0
    assert sorted(await collect(am)) == ["alert:A/0a", "alert:B/0b"]
    assert am.evicted == 2 and (await own(am))["evicted_total"] == 2


async def test_evictions_are_logged_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    am, _ = check(clock, max_alerts=1)
    caplog.set_level(logging.WARNING, logger="mapekd.monitor")

    def logged() -> list[dict[str, Any]]:
        return [r.event for r in caplog.records if getattr(r, "event", {}).get("event") == "alerts_evicted"]

    am.receive([alert("A", "0a"), alert("B", "0b"), alert("C", "0c")])
    assert logged() == [
        {"event": "alerts_evicted", "check": "am", "evicted": 2, "evicted_total": 2, "max_alerts": 1}
    ]
    clock.now += 10
    am.receive([alert("D", "0d")])
    assert len(logged()) == 1  # within the minute: counted, not logged yet
    clock.now += 60
    await am.collect()  # the pending count is logged even if no alert comes
    assert logged()[-1]["evicted"] == 1 and logged()[-1]["evicted_total"] == 3


async def test_what_is_kept_of_an_alert_is_bounded() -> None:
    labels = {"alertname": "Fat", **{f"l{i:03}": "v" * 10_000 for i in range(200)}}
    fat = Alert(labels=labels, firing=True, annotations={f"a{i}": "x" * 10_000 for i in range(200)})
    am, _ = check(Clock())
    am.receive([fat])
    kept = am._inbox[fat.key].alert
    assert kept.labels["alertname"] == "Fat" and len(kept.labels) == 32
    assert len(kept.annotations) == 16
    assert all(len(v) <= 256 for v in [*kept.labels.values(), *kept.annotations.values()])
    # the key is the hash of all labels: alerts differing only in a label cut away stay distinct
    other = Alert(labels={**labels, "l199": "other"}, firing=True)
    assert other.key != fat.key and am.receive([other]) == 1 and len(await collect(am)) == 2
    assert am.receive([fat]) == 0  # the same alert again is a repeat, not a new one


async def test_sample_of_one_target_matches_a_collection() -> None:
    am, _ = check(Clock())
    am.receive([alert("A", "0a", severity="critical"), alert("B", "0b")])
    collected = {s.target: s for s in await am.collect()}
    for target in ["alert:A/0a", "alert:B/0b", "alert:am"]:
        assert am.sample_of(target) == collected[target]
    assert am.sample_of("alert:A/0b") is None and am.sample_of("alert:Z/ff") is None


def test_the_webhook_payload_reads_ends_at_and_the_zero_time() -> None:
    payload = WebhookPayload.model_validate(
        {
            "version": "4",
            "status": "firing",
            "alerts": [
                {"status": "firing", "labels": {"alertname": "A"}, "endsAt": "0001-01-01T00:00:00Z"},
                {"status": "firing", "labels": {"alertname": "B"}, "endsAt": "2024-05-01T10:00:00+02:00"},
                {"status": "firing", "labels": {"alertname": "C"}},
            ],
        }
    )
    assert [a.ends_at for a in payload.to_alerts()] == [None, 1714550400.0, None]


@pytest.mark.parametrize(
    ("alertname", "target"),
    [("..", "alert:__/0a"), ("../../etc", "alert:.._.._etc/0a"), ("a:..:b", "alert:a:__:b/0a")],
)
def test_hostile_alert_names_make_targets_that_are_valid_parameters(alertname: str, target: str) -> None:
    made = alert(alertname, "0a").target
    assert made == target
    assert build_params(incident_id=1, rule="r", check="c", target=made, fields={})["target"] == made


async def test_a_resolve_notice_dates_the_resolution_by_its_ends_at() -> None:
    am, _ = check(Clock())
    am.receive([alert("A", "0a"), alert("B", "0b")])
    am.receive(
        [alert("A", "0a", firing=False, ends_at=995.0), alert("B", "0b", firing=False, ends_at=5000.0)]
    )
    samples = await collect(am)
    assert samples["alert:A/0a"].fields["resolved_at"] == 995.0
    assert samples["alert:B/0b"].fields["resolved_at"] == 1000.0  # never later than its arrival
