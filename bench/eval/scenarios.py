"""The fault scenarios: a configuration, how the bench sets the scene and breaks it, and what an
SRE would do about it (`expected`: an action, `escalate`, or `none` for the no-fault controls)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eval import configs
from eval.world import World, answers, wait


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    expected: str
    rule: str | None
    """The rule whose first decision is scored; None for a no-fault control."""
    config: Callable[[World], configs.Config]
    setup: Callable[[World], None]
    inject: Callable[[World], None]
    healthy: Callable[[World], bool]
    watch_s: float = 5.0
    """Controls: how long the bench watches after the (harmless) event."""


def web_up(w: World) -> None:
    w.start(w.svc("serve", *w.serve_options("db")))
    w.start(w.svc("serve", *w.serve_options("web", upstream="db")))
    wait(lambda: answers(w.url("web")), what="web service healthy")


def web_ok(w: World) -> bool:
    return answers(w.url("web"), timeout=0.25)


def job_argv(w: World, seconds: float) -> list[str]:
    return [*w.svc("spin", "--seconds", str(seconds))[:-1], f"{w.tag}:job"]


def web_steady(w: World) -> bool:
    """Healthy, and the same instance still is 1.5 s later (a flapping one is not)."""
    pid = w.pid("web")
    if not web_ok(w):
        return False
    time.sleep(1.5)
    return w.pid("web") == pid and w.alive("web") and web_ok(w)


def job_gone(w: World) -> bool:
    return not w.own_processes(f"{w.tag}:job")


def nothing(w: World) -> None:
    pass


def stop_for(seconds: float) -> Callable[[World], None]:
    def blip(w: World) -> None:
        w.signal("web", signal.SIGSTOP)
        time.sleep(seconds)
        w.signal("web", signal.SIGCONT)

    return blip


def exporter_up(w: World) -> None:
    w.start(w.svc("exporter", "--port", str(w.port("exporter")), "--dir", w.path("spool")))
    wait(lambda: answers(w.url("exporter", "/metrics")), what="exporter up")


def spool_small(w: World) -> bool:
    return sum(p.stat().st_size for p in Path(w.path("spool")).iterdir()) < 64_000_000


def supervisor_up(w: World) -> None:
    w.start(w.svc("serve", *w.serve_options("db")))
    w.start(w.svc("supervise", *w.serve_options("web", upstream="db", broken=True)))
    wait(lambda: answers(w.url("web")), what="supervised web service healthy")


def bad_deploy(w: World) -> None:
    Path(w.path("broken")).touch()
    w.signal("web", signal.SIGKILL)


def send(name: str, sig: signal.Signals) -> Callable[[World], None]:
    return lambda w: w.signal(name, sig)


def crash_choice(w: World) -> configs.Config:
    return configs.web(w, crash_remedies=("start_web", "cleanup_tmp"))


def fill_spool(w: World) -> None:
    w.start(w.svc("fill", "--dir", w.path("spool"), "--mb", "96"))


def scenarios() -> list[Scenario]:
    S, web, kill = Scenario, configs.web, signal.SIGKILL
    # name, fault, expected, scored rule, config, setup, inject, healthy
    return [
        S("crash", "web service SIGKILLed", "start_web", "web_down", web, web_up, send("web", kill), web_ok),
        S(
            "crash_choice",
            "web service SIGKILLed; its rule also lists cleaning temp files",
            *("start_web", "web_down", crash_choice, web_up, send("web", kill), web_ok),
        ),
        S(
            "hang",
            "web service SIGSTOPped: alive, answers nothing",
            *("kill_web", "web_unhealthy", web, web_up, send("web", signal.SIGSTOP), web_ok),
        ),
        S(
            "slow",
            "web service answers after 0.6 s",
            *("restart_web", "web_slow", web, web_up, send("web", signal.SIGUSR1), web_ok),
        ),
        S(
            "leak",
            "web service leaks 80 MB/s",
            *("restart_web", "web_leak", web, web_up, send("web", signal.SIGUSR2), web_ok),
        ),
        S(
            "dependency_down",
            "the database the web service depends on SIGKILLed: web answers 503",
            *("start_db", "web_unhealthy", web, web_up, send("db", kill), web_ok),
        ),
        S(
            "cpu_hog",
            "a runaway batch job burns a CPU",
            *("term_job", "job_cpu", configs.job, nothing, lambda w: w.start(job_argv(w, 600)), job_gone),
        ),
        S(
            "disk_fill",
            "a dump file grows to 96 MB in the spool directory",
            *("cleanup_spool", "spool_full", configs.spool, exporter_up, fill_spool, spool_small),
        ),
        S(
            "flapping",
            "a bad deploy: the supervised web service dies 1 s after every start",
            *("escalate", "web_flapping", configs.supervised, supervisor_up, bad_deploy, web_steady),
        ),
        S("healthy", "no fault", "none", None, web, web_up, nothing, web_ok),
        S(
            "http_blip",
            "web service stopped for 0.8 s (below the 3 s debounce)",
            *("none", None, web, web_up, stop_for(0.8), web_ok),
        ),
        S(
            "cpu_blip",
            "a batch job burns a CPU for 1.2 s (below the 2 s debounce)",
            *("none", None, configs.job, nothing, lambda w: w.start(job_argv(w, 1.2)), lambda w: True),
        ),
    ]
