"""The HTTP API: health, status, incidents, approvals, Alertmanager alerts, and the provider
layer (seed-000 /api/v1/llm/* and OpenAI-compatible /v1/*), on uvicorn in the daemon's own event
loop or as `mapekd gateway`.

    GET  /healthz                     alive (no token)
    GET  /readyz  /metrics            ready (config, database, recent cycle); Prometheus   [read]
    GET  /api/v1/status               loop, checks, open incidents, providers, cache, budget [read]
    GET  /api/v1/incidents[/{id}]     incidents; one with its timeline                     [read]
    GET  /api/v1/approvals            pending approvals                                    [read]
    POST /api/v1/approvals/{id}       {"decision": "approve" | "deny"}                     [approve]
    POST /api/v1/alerts               Alertmanager webhook (version 4)                     [alerts]
    POST /api/v1/llm/generate | chat  seed 000's shapes                                    [llm]
    POST /v1/chat/completions         OpenAI-compatible, SSE with `stream: true`           [llm]
    GET  /v1/models  POST /v1/embeddings                                                   [llm]
    POST /v1/chat/jobs  GET /v1/chat/jobs/{id}   queued chat completions                   [llm]
"""

from mapekd.api.app import build_app
from mapekd.api.context import ApiContext, ApprovalQueue, LoopView
from mapekd.api.server import ApiServer, start_api

__all__ = ["ApiContext", "ApiServer", "ApprovalQueue", "LoopView", "build_app", "start_api"]
