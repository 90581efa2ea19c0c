"""A short way in for the hottest reads: jump, find, global jump.

A jump is one index probe, 0.1–0.2 ms in PostgreSQL. FastAPI's way from its
router to the route — matching the path against the routes in turn, then
solving the route's dependency tree (the token, the query model, the path
parameters, the request) — cost about as much again: in process, a jump took
0.50 ms that way and 0.31 ms this way (docs/benchmarks.md). For the routes
registered here, :class:`HotPath` (in front of the router, inside all of the
app's middleware) does the same steps itself:

1. the path against the route's template (a ``{name}`` part is a UUID);
2. the router's dependencies (the API token);
3. the query with the route's model (:func:`eioku.api.query.parse_query`);
4. the route's own function, the one FastAPI calls.

An exception raised on the way goes up to the app's exception middleware,
as from any route: the same handler answers it.

Anything it does not fully handle — another method, a path parameter that is
not a plain lowercase UUID, a ``root_path``, a request FastAPI's
OpenTelemetry bridge is tracing (it names the route it matched) — goes down
FastAPI's way, which stays the reference (the OpenAPI document, and a test
that every answer is the same both ways: tests/integration/api/test_hot_path.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from eioku.api.query import QueryModel, parse_query

Endpoint = Callable[..., Awaitable[Response]]
Dependency = Callable[[Request], Awaitable[None]]

_PARAM = re.compile(r"\{(\w+)\}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class HotRoute:
    pattern: re.Pattern[str]
    params: type[QueryModel]
    endpoint: Endpoint


class HotRoutes:
    """The routes :class:`HotPath` answers, registered beside FastAPI's own::

        @hot.get("/v1/videos/{video_id}/jump", JumpParams)
        @router.get("/v1/videos/{video_id}/jump", ...)
        async def jump(video_id: uuid.UUID, request: Request, params: ...) -> Response:

    The function is called with its path parameters (as UUIDs), ``request``
    and ``params`` (the query model)."""

    def __init__(self) -> None:
        self.routes: list[HotRoute] = []

    def get(self, path: str, params: type[QueryModel]) -> Callable[[Endpoint], Endpoint]:
        literal = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")  # {name} kept as is
        pattern = re.compile(_PARAM.sub(r"(?P<\1>[^/]+)", literal))

        def register(endpoint: Endpoint) -> Endpoint:
            self.routes.append(HotRoute(pattern, params, endpoint))
            return endpoint

        return register


class HotPath:
    """ASGI middleware in front of the app's router (inside its exception
    middleware): GET requests for a hot route are answered without routing
    and dependency solving; an exception goes up to the app's handlers as
    from any route. See the module's docstring."""

    def __init__(self, app: ASGIApp, routes: Sequence[HotRoute],
                 dependencies: Sequence[Dependency] = ()) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.dependencies = tuple(dependencies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        route, ids = found
        request = Request(scope, receive, send)
        for dependency in self.dependencies:
            await dependency(request)
        params = parse_query(route.params, request)
        response = await route.endpoint(request=request, params=params, **ids)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[HotRoute, dict[str, uuid.UUID]] | None:
        """The hot route and path parameters of this request; None: FastAPI's way."""
        if (scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path")
                or scope.get("fastapi.telemetry") is not None):
            return None
        for route in self.routes:
            match = route.pattern.fullmatch(scope["path"])
            if match is not None:
                ids = match.groupdict()
                if not all(_UUID.fullmatch(value) for value in ids.values()):
                    return None  # FastAPI validates (and words the 422 of) anything unusual
                return route, {name: uuid.UUID(value) for name, value in ids.items()}
        return None


def install(app: FastAPI, routes: HotRoutes, dependencies: Sequence[Dependency] = ()) -> None:
    """Put :class:`HotPath` in front of ``app``'s router (a router's middleware,
    as ``Router(middleware=...)`` builds it)."""
    app.router.middleware_stack = HotPath(app.router.middleware_stack, routes.routes, dependencies)
