"""The live status page at `/`: checks, open incidents with their timelines, and pending
approvals with approve and deny buttons, refreshed in place by polling the API.

The page and its assets hold no data and need no token; the script asks for a token, keeps it in
the tab's sessionStorage and sends it as a Bearer token to /api/v1/*, where every datum is
authorised as for any other client. A strict Content-Security-Policy allows only the page's own
script, style and API: no inline script, nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"live.js": "text/javascript", "live.css": "text/css"}
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


async def page(request: Request) -> Response:
    return _file("live.html", "text/html; charset=utf-8")


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("not found\n", status_code=404, media_type="text/plain", headers=HEADERS)
    return _file(name, f"{ASSETS[name]}; charset=utf-8")


def _file(name: str, media_type: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=media_type, headers=HEADERS)


def live_routes() -> list[Route]:
    """`/` and its two assets under `/live/`."""
    return [Route("/", page, methods=["GET"]), Route("/live/{name}", asset, methods=["GET"])]
