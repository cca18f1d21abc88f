"""/api/v1/alerts: Alertmanager's webhook (payload version 4) into the healing loop.

Each alert goes to the `alertmanager` checks whose labels it matches; a change kicks a cycle at
once. Needs a token with the `alerts` right (Alertmanager sends it with `http_config.authorization`).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.alertmanager import WebhookPayload
from mapekd.api.body import read_model
from mapekd.api.errors import ApiError
from mapekd.api.state import authorize

log = logging.getLogger("mapekd.api")


async def receive(request: Request) -> Response:
    state, caller = authorize(request, "alerts")
    loop = state.ctx.loop
    if loop is None:
        raise ApiError(404, "no healing loop runs here (gateway mode)", code="no_loop")
    payload = await read_model(request, WebhookPayload, state.max_body)
    alerts = payload.to_alerts()
    checks = loop.push_alerts(alerts)
    if checks == 0:
        raise ApiError(409, "no alertmanager check is configured", code="no_alert_check")
    log.info(
        "alerts received",
        extra={
            "event": {
                "event": "alerts",
                "from": caller.name,
                "group": payload.groupKey[:200],
                "firing": sum(a.firing for a in alerts),
                "resolved": sum(not a.firing for a in alerts),
            }
        },
    )
    return JSONResponse({"received": len(alerts), "checks": checks}, status_code=202)


ROUTES = [Route("/api/v1/alerts", receive, methods=["POST"])]
