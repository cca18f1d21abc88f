"""The configurations the scenarios run under: checks, rules and the whitelisted actions, written
as an operator would. Rules for one specific fault list the fitting remedy first; a rule on a
symptom with several causes (the web service's health failing) has one fixed order that cannot
fit every cause: there the decision needs more than the rule's order. Each action says which cause
classes it treats (`treats`), as an operator would write it."""

from __future__ import annotations

from typing import Any

from mapekd.evaluation.world import World

Config = dict[str, Any]


def web_actions(w: World) -> list[dict[str, Any]]:
    web = w.serve_options("web", upstream="db", **w.web_files())
    return [
        {
            "name": "start_web",
            "type": "command",
            "argv": w.svc("serve", *web),
            "detach": True,
            "detach_grace": "300ms",
            "settle": "1s",
            "description": "start the web service (when it is not running)",
            "treats": ["crash", "oom_kill"],
        },
        {
            "name": "restart_web",
            "type": "command",
            "argv": w.svc("restart", *web),
            "detach": True,
            # Longer than the restart's own 1 s wait for the old instance plus an interpreter's
            # start on a loaded host: a restart that gives up must be seen failing.
            "detach_grace": "2s",
            "settle": "1s",
            "description": "graceful restart of the web service: SIGTERM, wait up to 1 s for it to "
            "exit, start a new instance; fails if the old one does not exit",
            # Not a hang (a deadlocked process ignores SIGTERM), nor a database that is down.
            "treats": ["resource_exhaustion"],
        },
        {
            "name": "kill_web",
            "type": "signal",
            "check": "web_proc",
            "signal": "SIGKILL",
            "risk": "medium",
            "settle": "3s",
            "description": "SIGKILL the web service's process (one that ignores SIGTERM); the "
            "web_down rule starts it again",
            "treats": ["hang"],
        },
        {
            "name": "start_db",
            "type": "command",
            "argv": w.svc("serve", *w.serve_options("db")),
            "detach": True,
            "detach_grace": "300ms",
            "settle": "1s",
            "description": "start the database service that the web service depends on (when it "
            "is not running)",
            "treats": ["dependency"],
        },
        cleanup_tmp(w),
    ]


def cleanup_tmp(w: World) -> dict[str, Any]:
    return {
        "name": "cleanup_tmp",
        "type": "command",
        "argv": ["find", w.path("tmp"), "-type", "f", "-mmin", "+60", "-delete"],
        "settle": "1s",
        "description": "delete files older than an hour in the services' temp directory",
        "treats": ["resource_exhaustion"],  # disk space
    }


def web(w: World, *, crash_remedies: tuple[str, ...] = ("start_web",)) -> Config:
    """The web service (which depends on a database service) watched by its process and its
    health endpoint."""
    return {
        "checks": [
            # The pid must also be one of this run's (its tag): a signal never goes by pidfile alone.
            {
                "name": "web_proc",
                "type": "process",
                "pidfile": w.pidfile("web"),
                "cmdline": w.tag,
                "service": "web",
                "logs": [w.log("web")],
            },
            {
                "name": "web_http",
                "type": "http",
                "url": w.url("web"),
                "timeout": "1s",
                "service": "web",
                "logs": [w.log("web")],
            },
        ],
        "rules": [
            {"name": "web_down", "check": "web_proc", "when": "alive == false", "remedies": crash_remedies},
            {
                "name": "web_unhealthy",
                "check": "web_http",
                "when": "ok == false",
                "for": "3s",
                "remedies": ["restart_web", "kill_web", "start_db"],
            },
            {
                "name": "web_slow",
                "check": "web_http",
                "when": "ok == true and latency_ms > 300",
                "for": "2s",
                "remedies": ["restart_web", "kill_web"],
            },
            {
                "name": "web_leak",
                "check": "web_proc",
                "when": "rss_bytes > 160000000",
                "remedies": ["restart_web", "cleanup_tmp"],
            },
        ],
        "actions": web_actions(w),
    }


def job(w: World) -> Config:
    """Batch jobs on the host, watched for runaway CPU."""
    return {
        "checks": [{"name": "job", "type": "process", "cmdline": f"{w.tag}:job"}],
        "rules": [
            {
                "name": "job_cpu",
                "check": "job",
                "when": "cpu_percent > 80",
                "for": "2s",
                "remedies": ["term_job", "cleanup_tmp"],
            }
        ],
        "actions": [
            {
                "name": "term_job",
                "type": "signal",
                "check": "job",
                "signal": "SIGTERM",
                "settle": "1s",
                "description": "SIGTERM the batch job's processes",
                "treats": ["resource_exhaustion", "hang"],
            },
            cleanup_tmp(w),
        ],
    }


def spool(w: World) -> Config:
    """A spool directory whose size an exporter reports (a filesystem filling up)."""
    return {
        "checks": [
            {
                "name": "spool",
                "type": "prometheus",
                "url": w.url("exporter", "/metrics"),
                "metrics": [{"name": "spool_bytes"}],
            }
        ],
        "rules": [
            {
                "name": "spool_full",
                "check": "spool",
                "when": "spool_bytes > 64000000",
                "remedies": ["cleanup_spool", "cleanup_tmp"],
            }
        ],
        "actions": [
            {
                "name": "cleanup_spool",
                "type": "command",
                "argv": ["find", w.path("spool"), "-type", "f", "-name", "*.tmp", "-delete"],
                "settle": "1s",
                "description": "delete the *.tmp dump files in the spool directory",
                "treats": ["resource_exhaustion"],
            },
            cleanup_tmp(w),
        ],
    }


def supervised(w: World) -> Config:
    """The web service under a supervisor that restarts it whenever it exits."""
    return {
        "checks": [
            {
                "name": "web_proc",
                "type": "process",
                "pidfile": w.pidfile("web"),
                "service": "web",
                "logs": [w.log("web")],
            }
        ],
        "rules": [
            {
                "name": "web_flapping",
                "type": "flapping",
                "check": "web_proc",
                "when": "alive == false",
                "times": 3,
                "within": "30s",
                "remedies": ["restart_web", "cleanup_tmp"],
            }
        ],
        "actions": [
            {
                "name": "restart_web",
                "type": "command",
                "argv": w.svc("kick", "--pidfile", w.pidfile("web")),
                "settle": "1s",
                "description": "restart the web service through its supervisor (SIGTERM; the "
                "supervisor starts it again)",
                # A crash is the supervisor's to restart: another restart would fight it.
                "treats": ["hang", "resource_exhaustion"],
            },
            cleanup_tmp(w),
        ],
    }
