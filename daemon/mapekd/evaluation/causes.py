"""One signature, several causes: the web service's health failing (`web_unhealthy`) and its
process ending (`web_down`) look the same to a rule whatever the cause, while each cause needs
its own remedy. The service says in its log (named in its checks' `logs:`) what went wrong, and
the kernel says when it killed it for memory: the evidence that can tell the causes apart.

Expected answers, as an SRE would decide (the reason is beside each scenario):
- hang: `kill_web` (a deadlocked process ignores SIGTERM; SIGKILL, then web_down starts it);
- dependency down: `start_db` (restarting the web service cannot bring its database back);
- I/O stall: `escalate` (every instance blocks on the same write; no whitelisted action fixes
  storage, and a kill loop would only hide it);
- OOM kill: `start_web` (once is an event: start it again); an OOM kill that repeats after
  every start: `escalate`, judged at its end (each start "works" until the memory runs out);
- broken config: `escalate` (a restart refuses to start on the invalid file; a person must fix it);
- flapping after restart: `escalate`, judged over the rule's window: a restart that answers for
  one sample and fails again is not a recovery."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from mapekd.evaluation import configs, memcg
from mapekd.evaluation.scenarios import Scenario, send, web_ok, web_steady, web_up
from mapekd.evaluation.world import World

OOM_LIMIT = 96 * 2**20
"""The web service's memory cgroup: a few times what it needs, far less than its leak reaches."""


def stall_storage(w: World) -> None:
    """The data file becomes a FIFO nobody reads: the service's next write blocks for good."""
    data = Path(w.path("web.data"))
    data.unlink(missing_ok=True)
    os.mkfifo(data)


def break_config(w: World) -> None:
    Path(w.path("web.conf")).write_text("workers = 4\nlisten_addr = 0.0.0.0:8080\n")
    w.signal("web", signal.SIGHUP)


def degrade(w: World) -> None:
    Path(w.path("degrade")).touch()


def web_in_memcg(w: World) -> None:
    """The web service in a memory cgroup of its own (the run's cleanup removes it)."""
    w.cgroup = memcg.create(f"{w.tag}-web", OOM_LIMIT)
    web_up(w)


def leak_from_start(w: World) -> None:
    """This instance and every later one leak until the kernel kills them."""
    Path(w.path("leak")).touch()
    w.signal("web", signal.SIGUSR2)


def several_causes() -> list[Scenario]:
    web = configs.web
    return [
        Scenario(
            "hang", "web service deadlocked: alive, answers nothing, ignores SIGTERM", "kill_web",
            "a graceful restart cannot stop it; SIGKILL can, and web_down then starts it",
            "web_unhealthy", web, web_up, send("web", signal.SIGWINCH), web_ok,
        ),
        Scenario(
            "dependency_down", "the database the web service depends on SIGKILLed: web answers 503",
            "start_db", "the web service is fine; its log says the database refuses connections",
            "web_unhealthy", web, web_up, send("db", signal.SIGKILL), web_ok,
        ),
        Scenario(
            "io_stall", "the web service's data file stalls (a write that never completes)",
            "escalate", "every instance blocks on the same write: storage needs a person, not a restart",
            "web_unhealthy", web, web_up, stall_storage, web_ok,
        ),
        Scenario(
            "oom", "the kernel's OOM killer ends the web service (a memory cgroup's limit)",
            "start_web", "killed for memory once: start it again (a repeat is flapping: escalate)",
            "web_down", web, web_in_memcg, send("web", signal.SIGUSR2), web_ok,
        ),
        Scenario(
            "oom_repeat", "every instance of the web service outgrows its memory cgroup and is killed",
            "escalate", "starting it again only repeats the kill: the leak or the limit needs a person",
            "web_down", web, web_in_memcg, leak_from_start, web_steady, judge="end", watch_s=8.0,
        ),
        Scenario(
            "broken_config", "an invalid config reloaded: web answers 500; a new instance refuses it",
            "escalate", "no restart fixes its config file; a person must",
            "web_unhealthy", web, web_up, break_config, web_ok,
        ),
        Scenario(
            "flap_window", "web fails again 1.5 s after every start (within the rule's window)",
            "escalate", "a restart that holds for one sample is no recovery; repeating it hides the fault",
            "web_unhealthy", web, web_up, degrade, web_steady, judge="end", watch_s=8.0,
        ),
    ]  # fmt: skip
