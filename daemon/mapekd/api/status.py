"""The status report: the loop (checks, last collection, scheduled jobs' next runs), open
incidents, and the provider layer in seed 000's `/api/v1/llm/status` shape, extended with
breakers, latency and budget."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram

from mapekd.api.context import ApiContext
from mapekd.llm.gateway import Gateway

_AVAILABILITY = {"closed": "available", "half_open": "degraded", "open": "unavailable"}
INCIDENT_FIELDS = ("id", "signature", "rule", "target", "severity", "status", "summary", "opened_at")


def status_report(ctx: ApiContext) -> dict[str, Any]:
    now = time.time()
    incidents = [{k: getattr(row, k) for k in INCIDENT_FIELDS} for row in ctx.store.active_incident_rows()]
    return {
        "loop": loop_report(ctx, now),
        "open_incidents": incidents,
        **llm_report(ctx.gateway),
    }


def loop_report(ctx: ApiContext, now: float) -> dict[str, Any]:
    if ctx.loop is None:
        return {"mode": "gateway", "running": False}
    last = ctx.loop.last_cycle_at()
    return {
        "mode": "daemon",
        "running": True,
        "interval_s": ctx.loop.interval,
        "last_cycle_at": last,
        "last_cycle_age_s": None if last is None else round(now - last, 3),
        "checks": ctx.loop.checks(),
        "jobs": ctx.loop.jobs(),
    }


def llm_report(gateway: Gateway) -> dict[str, Any]:
    status = gateway.status()
    totals = _per_provider(gateway.metrics.requests)
    errors = _per_provider(gateway.metrics.errors)
    latency = _latency(gateway.metrics.latency)
    providers: dict[str, Any] = {}
    rate_limits: dict[str, Any] = {}
    for entry in status["providers"]:
        name = entry["name"]
        total, failed = totals.get(name, 0.0), errors.get(name, 0.0)
        providers[name] = {
            "status": _AVAILABILITY.get(entry["breaker"]["state"], "unknown"),
            "total_requests": int(total),
            "success_rate": round((total - failed) / total, 4) if total else None,
            "avg_latency_ms": latency.get(name),
            **entry,
        }
        rate_limits[name] = _limits(entry["limits"])
    exact = status["cache"]["exact"]
    cache = {"size": exact.get("entries", 0), "hit_rate": exact.get("hit_rate", 0.0), **status["cache"]}
    return {
        "mode": status["mode"],
        "strategy": status["strategy"],
        "providers": providers,
        "cache": cache,
        "rate_limits": rate_limits,
        "budget": status["budget"],
        "unpriced_models": status["unpriced_models"],
    }


def _per_provider(counter: Counter) -> dict[str, float]:
    sums: dict[str, float] = {}
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                name = sample.labels["provider"]
                sums[name] = sums.get(name, 0.0) + sample.value
    return sums


def _latency(histogram: Histogram) -> dict[str, float]:
    parts: dict[str, dict[str, float]] = {}
    for family in histogram.collect():
        for sample in family.samples:
            for suffix in ("_sum", "_count"):
                if sample.name.endswith(suffix):
                    parts.setdefault(sample.labels["provider"], {})[suffix] = sample.value
    return {name: round(1000 * p["_sum"] / p["_count"], 3) for name, p in parts.items() if p.get("_count")}


def _limits(limits: dict[str, Any] | None) -> dict[str, Any] | None:
    if not limits:
        return None
    return {
        "available_requests": (limits.get("rpm") or {}).get("available"),
        "available_tokens": (limits.get("tpm") or {}).get("available"),
        **limits,
    }
