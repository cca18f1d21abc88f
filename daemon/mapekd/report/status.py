"""`mapekd status`, assembled: every check with its state and last value, open incidents, pending
approvals, the action counter per target, the LLM providers and today's spend.

Two sources, each section saying which it came from: the daemon's API (live: check states, last
cycle, breakers) when it is enabled and answers, and the knowledge base read-only (incidents,
approvals, counters, spend, and the last recorded samples). When one is missing the other fills
in what it can and the report says why the first is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapekd.config.settings import Settings
from mapekd.errors import StoreError
from mapekd.knowledge.approvals import ApprovalStore
from mapekd.knowledge.llm_reports import LLMReports
from mapekd.knowledge.readonly import connect_readonly
from mapekd.knowledge.status_reads import StatusReads
from mapekd.plan.policy import recorded_counter
from mapekd.report.check_states import check_states
from mapekd.report.live_client import Live

SAMPLE_LOOKBACK_S = 600.0
"""Recorded samples older than this (or than ten cycles, if longer) are not shown as state."""


def collect_status(settings: Settings, db: Path, live: Live, now: float) -> dict[str, Any]:
    kb, kb_error = _from_knowledge(settings, db, now)
    loop = (live.status or {}).get("loop") or {}
    return {
        "generated_at": now,
        "api": {"url": live.url, "live": live.status is not None, "error": live.error},
        "knowledge": {"path": str(db), "error": kb_error},
        "daemon": _daemon(settings, loop, kb, now),
        "checks": check_states(settings, loop, kb.get("samples", []), now),
        "open_incidents": kb.get("open_incidents", (live.status or {}).get("open_incidents", [])),
        "pending_approvals": kb.get("pending_approvals", []),
        "counters": kb.get("counters", []),
        "llm": _llm(settings, live.status, kb),
    }


def _from_knowledge(settings: Settings, db: Path, now: float) -> tuple[dict[str, Any], str | None]:
    try:
        database = connect_readonly(db)
    except StoreError as exc:
        return {}, str(exc)
    try:
        reads = StatusReads(database)
        incidents = reads.active_incidents()
        targets = sorted(
            {i["target"] for i in incidents} | set(reads.acting_targets(now - settings.policy.window))
        )
        lookback = max(SAMPLE_LOOKBACK_S, 10 * settings.daemon.interval)
        return {
            "open_incidents": incidents,
            "pending_approvals": ApprovalStore(database).pending_approvals(),
            "counters": [
                {"target": t, **recorded_counter(settings.policy, reads, t, now).as_dict()} for t in targets
            ],
            "samples": reads.latest_samples(now - lookback),
            "spent_today": LLMReports(database).spent_today(now),
        }, None
    except StoreError as exc:
        return {}, str(exc)
    finally:
        database.close()


def _daemon(settings: Settings, loop: dict[str, Any], kb: dict[str, Any], now: float) -> dict[str, Any]:
    if loop.get("running"):
        return {
            "source": "api",
            **{k: loop.get(k) for k in ("last_cycle_at", "last_cycle_age_s", "interval_s")},
        }
    seen = max((s["ts"] for s in kb.get("samples", [])), default=None)
    return {
        "source": "knowledge",
        "last_sample_at": seen,
        "last_sample_age_s": None if seen is None else round(now - seen, 3),
        "interval_s": settings.daemon.interval,
    }


def _llm(settings: Settings, live: dict[str, Any] | None, kb: dict[str, Any]) -> dict[str, Any]:
    providers_live = (live or {}).get("providers") or {}
    providers = []
    for p in settings.llm.effective_providers():
        seen = providers_live.get(p.name) or {}
        providers.append(
            {
                "name": p.name,
                "type": p.type,
                "model": p.model,
                "breaker": (seen.get("breaker") or {}).get("state"),
                "availability": seen.get("status"),
            }
        )
    budget = (live or {}).get("budget") or {}
    spent = budget.get("daily_spent", kb.get("spent_today"))
    return {
        "providers": providers,
        "spent_today": spent,
        "daily_limit": settings.llm.budgets.daily,
        "source": "api" if budget else "knowledge" if "spent_today" in kb else None,
    }
