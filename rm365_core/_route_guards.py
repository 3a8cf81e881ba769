"""Who may call each route: the declaration every route must carry, found by walking routes.

A route is declared when its dependency tree holds ``require_tab(...)`` (a tab),
``login_required`` (any logged-in user) or ``public`` (or its endpoint has
``__rm365_public__``). The kernel refuses a plugin with an undeclared route when it accepts
the plugin; the test kit's ``assert_routes_guarded(app)`` checks a whole app.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute, Mount, Route

from ._auth import TabRequirement, public

try:  # FastAPI >= 0.165 keeps included routers whole; this walks their effective routes.
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI copied every route into .routes
    iter_route_contexts = None  # type: ignore[assignment]


@dataclass
class Endpoint:
    """One route as the server sees it: full path, methods and dependency tree."""

    path: str
    methods: list[str]
    kind: str  # "api", "websocket", "route" (plain Starlette), "mount"
    route: Any  # the effective route (has .dependant for FastAPI routes, .app for mounts)

    @property
    def declaration(self) -> str | None:
        """``tab``, ``login``, ``public`` or None (undeclared)."""
        dependant = getattr(self.route, "dependant", None)
        calls = list(_calls(dependant)) if dependant is not None else []
        requirements = [call for call in calls if isinstance(call, TabRequirement)]
        if any(requirement.tab for requirement in requirements):
            return "tab"
        if requirements:
            return "login"
        endpoint = getattr(self.route, "endpoint", None)
        if any(call is public for call in calls) or getattr(endpoint, "__rm365_public__", False):
            return "public"
        return None

    def __str__(self) -> str:
        return f"{','.join(self.methods)} {self.path}".strip()


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> list[Endpoint]:
    """Every route in ``routes`` (an app's or a router's), included routers walked."""
    pairs = (
        [(rc.original_route, rc) for rc in iter_route_contexts(routes)]
        if iter_route_contexts is not None
        else [(route, route) for route in routes]
    )
    found = []
    for original, effective in pairs:
        if isinstance(original, APIRoute):
            kind = "api"
        elif isinstance(original, APIWebSocketRoute):
            kind = "websocket"
        elif isinstance(original, Mount):
            kind = "mount"
        elif isinstance(original, Route):
            kind = "route"
        else:
            kind = type(original).__name__
        methods = sorted(set(getattr(effective, "methods", None) or []) - {"HEAD"})
        found.append(Endpoint(prefix + (effective.path or ""), methods, kind, effective))
    return found


def unguarded(routes: Sequence[BaseRoute], prefix: str = "", *, allow: Collection[str] = frozenset()) -> list[str]:
    """The routes that bypass the tab check: API routes with no declaration, and plain
    Starlette routes or mounts (they skip FastAPI dependencies). ``allow`` lists paths
    exempt from the check (static mounts, the OpenAPI page)."""
    problems = []
    for endpoint in endpoints(routes, prefix):
        if endpoint.path in allow:
            continue
        if endpoint.kind in ("api", "websocket"):
            if endpoint.declaration is None:
                problems.append(f"{endpoint} declares no tab (require_tab, login_required or public)")
        else:
            problems.append(f"{endpoint} is a plain {endpoint.kind}, which skips the tab check: use an APIRouter route")
    return problems
