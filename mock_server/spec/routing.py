"""Routes built from the specs: every path of one API in one ``SpecRoutes`` (literal paths in
a dict, templated ones indexed by first segment), each path's methods handled by one
``Dispatcher``. Startup fails when an operation has no handler or a
handler no operation.

The path of one request: the app's front door (journal) → ``SpecRoutes.find`` →
``Dispatcher.dispatch`` (405, authentication, parameter and body validation, all compiled at
startup) → handler → response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

from starlette.convertors import StringConvertor
from starlette.routing import Match, Route
from starlette.types import Scope

from .binding import ApiBinding
from .dispatch import Dispatcher
from .loader import Operation

if TYPE_CHECKING:
    from ..context import AppContext

#: Every method reaches the dispatcher, which answers 405 itself (JSON, full Allow).
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
#: What a path's route leads to: the app's ``Dispatcher``; the proxy's own per-path objects.
EndpointT = TypeVar("EndpointT")


class SpecRoutes(Generic[EndpointT]):
    """All paths of one API: literal paths are found in a dict, templated ones by their
    regexes (checked only when the API's prefix matches), so a request costs one lookup
    instead of trying every route of the app in turn. The app's front door asks ``find``;
    the proxy matches its traffic and its control plane with it (``EndpointT``: what each
    route's endpoint is)."""

    def __init__(self, prefix: str, routes: list[Route]) -> None:
        self.prefix = prefix
        self.literal = {r.path: r for r in routes if "{" not in r.path}
        #: templated routes by their first path segment after the prefix ("jobs", "api"...)
        self.templated: dict[str, list[Route]] = {}
        for r in routes:
            if "{" in r.path:
                self.templated.setdefault(self._segment(r.path), []).append(r)
        #: templated routes whose parameters are all plain strings (converted as matched),
        #: by identity (a Starlette route is not hashable)
        self.plain = {
            id(r) for r in routes
            if all(type(c) is StringConvertor for c in r.param_convertors.values())
        }
        #: routes ending in a catch-all parameter (GCS objects): every path under their
        #: literal start reaches them, even one Starlette's converters refuse (an empty
        #: segment, a newline), so the operation answers it in its own format and the
        #: parameters' schemas name what is wrong. (literal start, route, parameter names)
        self.loose: list[tuple[str, Route, list[str]]] = []
        for r in routes:
            if r.path.endswith(":path}"):
                start = r.path.split("{", 1)[0]
                self.loose.append((start, r, list(r.param_convertors)))

    def _segment(self, path: str) -> str:
        return path[len(self.prefix):].split("/", 2)[1] if "/" in path[len(self.prefix):] else ""

    def find(self, scope: Scope) -> tuple[EndpointT, dict[str, object]] | None:
        """The endpoint (dispatcher) and path parameters of a request this API serves (``None``: not
        one of its paths)."""
        path = scope["path"]
        if self.prefix and not path.startswith(self.prefix):
            return None
        route = self.literal.get(path)
        if not scope.get("root_path"):
            # What Starlette's ``Route.matches`` finds (every method reaches the dispatcher),
            # without its child scope: a literal path is its dict entry, a templated one its
            # regex and converters.
            if route is not None:
                return cast(EndpointT, route.endpoint), {}
            for candidate in self.templated.get(self._segment(path), ()):
                m = candidate.path_regex.match(path)
                if m is not None:
                    if id(candidate) in self.plain:  # every parameter a string: as matched
                        return cast(EndpointT, candidate.endpoint), m.groupdict()
                    convertors = candidate.param_convertors
                    return cast(EndpointT, candidate.endpoint), {
                        k: convertors[k].convert(v) for k, v in m.groupdict().items()
                    }
        else:  # under a root path: Starlette's own matching
            candidates = [route] if route is not None else self.templated.get(
                self._segment(path), ())
            for candidate in candidates:
                match, child = candidate.matches(scope)
                if match is not Match.NONE:
                    return cast(EndpointT, candidate.endpoint), child["path_params"]
        for start, route, names in self.loose:
            if path.startswith(start) or path == start.rstrip("/"):
                # The segments in order, the last parameter takes the rest ("" when absent).
                parts = path[len(start):].split("/", len(names) - 1)
                parts += [""] * (len(names) - len(parts))
                return cast(EndpointT, route.endpoint), dict(zip(names, parts, strict=True))
        return None


def build_routes(binding: ApiBinding, context: AppContext) -> SpecRoutes[Dispatcher]:
    """One Route per spec path, bundled in the API's ``SpecRoutes``."""
    binding.check_handlers()
    by_path: dict[str, list[Operation]] = {}
    for op in binding.spec.operations:
        by_path.setdefault(op.route_path, []).append(op)
    # Literal paths before templated ones, so /jobs/batch never loses to /jobs/{id}.
    ordered = sorted(by_path.items(), key=lambda kv: (kv[0].count("{"), kv[0]))
    routes = [
        Route(path, endpoint=Dispatcher(binding, ops, context), methods=ALL_METHODS)
        for path, ops in ordered
    ]
    return SpecRoutes(binding.spec.prefix, routes)
