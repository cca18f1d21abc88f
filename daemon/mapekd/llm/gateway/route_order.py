"""The plan of one request: which routes, in which order, asking which model.

    mode offline   only offline routes (offline / local_llama providers)
    mode online    only online routes
    mode auto      online routes by the strategy, then offline routes as the last fallback
A role naming a provider puts it first; a role's model is asked of that provider (or of every
provider when the role names none). A request's own `model` wins over the role's. A call pinned to
one provider (`provider=`) gets that route only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mapekd.llm.config import LLMSettings
from mapekd.llm.errors import NotFound
from mapekd.llm.gateway.routes import Route
from mapekd.llm.routing import Strategy


@dataclass(frozen=True, slots=True)
class Step:
    route: Route
    model: str | None
    """The model to ask for; None: the slot's own."""


class RouteOrder:
    def __init__(self, settings: LLMSettings, routes: Sequence[Route], strategy: Strategy) -> None:
        self.settings = settings
        self.routes = {r.name: r for r in routes}
        ordered = [*settings.routing.order]
        ordered += [r.name for r in routes if r.name not in ordered]
        self._online = [n for n in ordered if not self.routes[n].offline]
        self._offline = [n for n in ordered if self.routes[n].offline]
        self.strategy = strategy

    def steps(self, *, role: str | None, model: str | None, pinned: str | None) -> list[Step]:
        if pinned is not None:
            route = self.routes.get(pinned)
            if route is None:
                known = ", ".join(self.routes)
                raise NotFound("gateway", f"no provider named {pinned!r} (known: {known})")
            return [Step(route, model or self._role_model(role, pinned))]
        names = self._names(role)
        return [Step(self.routes[n], model or self._role_model(role, n)) for n in names]

    def _names(self, role: str | None) -> list[str]:
        mode = self.settings.mode
        online = self.strategy.order(self._online) if mode != "offline" else []
        offline = self._offline if mode != "online" else []
        names = online + offline
        first = self._role_provider(role)
        if first is not None and first in names:
            names.remove(first)
            names.insert(0, first)
        return names

    def first_routes(self, role: str | None) -> list[Route]:
        """The routes a call of this role may go to first, without drawing on the strategy (a
        query must not move a rotation): the role's provider, else every online route the
        strategy may put first, else the first offline route."""
        online = self._online if self.settings.mode != "offline" else []
        offline = self._offline if self.settings.mode != "online" else []
        first = self._role_provider(role)
        if first is not None and first in online + offline:
            return [self.routes[first]]
        return [self.routes[n] for n in online] or [self.routes[n] for n in offline[:1]]

    def _role_provider(self, role: str | None) -> str | None:
        route = self.settings.roles.get(role) if role else None
        return route.provider if route else None

    def _role_model(self, role: str | None, provider: str) -> str | None:
        route = self.settings.roles.get(role) if role else None
        if route is None or route.model is None:
            return None
        return route.model if route.provider in (None, provider) else None
