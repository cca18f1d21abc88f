"""A SIGKILLed service is seen at once, restarted by a whitelisted command, verified, remembered."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SIGNATURE = "svc_down@process:svc_process"


def test_crash_is_healed_verified_and_recorded(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    first_pid = service.start()
    daemon = Daemon(tmp_path, base_config(tmp_path, service))
    daemons.append(daemon)
    daemon.start()

    kill(first_pid)
    new_pid = wait_for(lambda: (p := service.pid()) != first_pid and p, message="service restarted")
    wait_for(service.healthy, message="HTTP health passing again")
    assert new_pid != first_pid

    report = wait_for(
        lambda: (
            (i := daemon.incident(SIGNATURE))
            and i["status"] == "resolved"
            and any(e["kind"] == "outcome" for e in i["timeline"])
            and i
        ),
        message="incident resolved with an outcome",
    )
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[:3] == ["symptom", "decision", "execution"]
    execution = next(e for e in report["timeline"] if e["kind"] == "execution")
    assert execution["state"] == "succeeded" and execution["action"] == "start_svc"
    outcome = next(e for e in report["timeline"] if e["kind"] == "outcome")
    assert outcome["result"] == "resolved"
    assert report["policy_counter"]["used"] == 1

    decision = daemon.events("decision", signature=SIGNATURE)
    assert len(decision) == 1
    line = decision[0]
    assert line["action"] == "start_svc" and line["verdict"] == "execute"
    assert line["dry_run"] is False and line["candidates"] == ["start_svc"]
    assert line["source"] == "rule" and "ts" in line and line["symptom"]
    assert daemon.events("outcome", signature=SIGNATURE, outcome="resolved")
    # The death was seen through the pidfd watcher, not at a later poll.
    assert daemon.events("check_event", check="svc_process")

    assert daemon.stop() == 0


def test_a_kill_moments_after_a_restart_is_still_seen_at_once(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    first_pid = service.start()
    config = base_config(tmp_path, service, cooldown="0s")
    # Neither the next scheduled cycle nor the end of the first verification can explain a fast
    # second restart: only the watch armed on the new instance the moment it existed.
    config["daemon"]["interval"] = "60s"
    config["actions"][0]["settle"] = "30s"
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()

    kill(first_pid)
    # The new instance is killed as soon as it has written its pidfile: before any collection.
    second_pid = wait_for(
        lambda: (p := service.pid()) != first_pid and p, interval=0.002, message="second instance"
    )
    kill(second_pid)
    third_pid = wait_for(
        lambda: (p := service.pid()) not in (first_pid, second_pid) and p,
        timeout=10,
        message="third instance, long before the next scheduled cycle",
    )
    wait_for(service.healthy, timeout=10, message="healthy again")
    assert third_pid not in (first_pid, second_pid)
    assert len(daemon.events("decision", signature=SIGNATURE, action="start_svc")) == 2
    assert daemon.stop() == 0
