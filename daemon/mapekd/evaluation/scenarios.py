"""The scenarios: a configuration, how the evaluation sets the scene and breaks it, and what an SRE
would do about it (`expected`: an action, `escalate`, or `none` for the no-fault controls), with
the reason in one line (`why`). The causes that one signature cannot tell apart are in `causes`."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mapekd.evaluation import configs
from mapekd.evaluation.world import World, answers, wait

Judge = Literal["first", "end"]


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    expected: str
    why: str
    """Why `expected` is what an SRE would do, in one line."""
    rule: str | None
    """The rule whose first decision is scored; None for a no-fault control."""
    config: Callable[[World], configs.Config]
    setup: Callable[[World], None]
    inject: Callable[[World], None]
    healthy: Callable[[World], bool]
    judge: Judge = "first"
    """`first`: the rule's first decision is scored; `end`: how its incidents ended (an escalation
    with none resolved is `escalate`), after watching `watch_s` more once they look settled."""
    watch_s: float = 5.0
    """Controls: how long the evaluation watches after the (harmless) event; `end`: how long it
    watches after the incidents look settled (at least the rule's window)."""


def web_up(w: World) -> None:
    db_up(w)
    w.start(w.svc("serve", *w.serve_options("web", upstream="db", **w.web_files())))
    wait(lambda: answers(w.url("web")), what="web service healthy")


def db_up(w: World) -> None:
    """The database answering before the web service starts: a web service asked for its health
    while its database was still starting would log a refusal, and that line, older than the
    fault, would be read as evidence of it."""
    w.start(w.svc("serve", *w.serve_options("db")))
    wait(lambda: answers(w.url("db")), what="database healthy")


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
    db_up(w)
    options = w.serve_options("web", upstream="db", log=w.log("web"), broken_flag=w.path("broken"))
    w.start(w.svc("supervise", *options))
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


def start_job(seconds: float) -> Callable[[World], None]:
    return lambda w: w.start(job_argv(w, seconds))


def single_cause() -> list[Scenario]:
    """Faults whose rule names them well enough: the rule's order is right for them."""
    web, kill = configs.web, signal.SIGKILL
    return [
        Scenario(
            "crash", "web service SIGKILLed", "start_web", "it is gone and nothing else is wrong",
            "web_down", web, web_up, send("web", kill), web_ok,
        ),
        Scenario(
            "crash_choice", "web service SIGKILLed; its rule also lists cleaning temp files",
            "start_web", "temp files have nothing to do with a dead process",
            "web_down", crash_choice, web_up, send("web", kill), web_ok,
        ),
        Scenario(
            "slow", "web service answers after 0.6 s", "restart_web",
            "a fresh instance answers at once; a kill would drop requests in flight",
            "web_slow", web, web_up, send("web", signal.SIGUSR1), web_ok,
        ),
        Scenario(
            "leak", "web service leaks 80 MB/s", "restart_web",
            "a graceful restart frees the memory; temp files do not hold it",
            "web_leak", web, web_up, send("web", signal.SIGUSR2), web_ok,
        ),
        Scenario(
            "cpu_hog", "a runaway batch job burns a CPU", "term_job",
            "the job is the cause; SIGTERM lets it end cleanly",
            "job_cpu", configs.job, nothing, start_job(600), job_gone,
        ),
        Scenario(
            "disk_fill", "a dump file grows to 96 MB in the spool directory", "cleanup_spool",
            "the dump files fill the spool; the old temp files are not where the bytes are",
            "spool_full", configs.spool, exporter_up, fill_spool, spool_small,
        ),
        Scenario(
            "flapping", "a bad deploy: the supervised web service dies 1 s after every start",
            "escalate", "its supervisor restarts it already; another restart fights it and fixes nothing",
            "web_flapping", configs.supervised, supervisor_up, bad_deploy, web_steady,
        ),
    ]  # fmt: skip


def controls() -> list[Scenario]:
    web = configs.web
    return [
        Scenario("healthy", "no fault", "none", "nothing is wrong", None, web, web_up, nothing, web_ok),
        Scenario(
            "http_blip", "web service stopped for 0.8 s (below the 3 s debounce)", "none",
            "it recovered by itself before the rule's window", None, web, web_up, stop_for(0.8), web_ok,
        ),
        Scenario(
            "cpu_blip", "a batch job burns a CPU for 1.2 s (below the 2 s debounce)", "none",
            "a short burst is normal work", None, configs.job, nothing, start_job(1.2), lambda w: True,
        ),
    ]  # fmt: skip


def scenarios() -> list[Scenario]:
    from mapekd.evaluation.causes import several_causes

    return single_cause() + several_causes() + controls()
