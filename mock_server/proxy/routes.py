"""The proxy's routing, from a spec and with the mock's own router (``spec.routing
.SpecRoutes``): its traffic is matched to the vendor spec's operations (``verdicts``), its
control plane to ``openapi/proxy-admin.yaml``'s (``control``). Each route's endpoint is a
``ByMethod``: what the path holds for each method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar, cast

from starlette.routing import Route

from ..spec.loader import ApiSpec, Operation
from ..spec.routing import SpecRoutes

T = TypeVar("T")


class ByMethod(Generic[T]):
    """One spec path: a value per method (HEAD answered as GET where the path has no HEAD)."""

    def __init__(self, by_method: dict[str, T]) -> None:
        self.by_method = by_method
        self.allow = ", ".join(sorted(by_method))

    def __call__(self, method: str) -> T | None:
        found = self.by_method.get(method)
        if found is None and method == "HEAD":
            return self.by_method.get("GET")
        return found


def spec_routes(spec: ApiSpec, make: Callable[[Operation], T]) -> SpecRoutes[ByMethod[T]]:
    """Every path of ``spec`` (under its prefix), ``make(operation)`` for each method."""
    by_path: dict[str, dict[str, T]] = {}
    for op in spec.operations:
        by_path.setdefault(op.route_path, {})[op.method] = make(op)
    # literal paths first, then by fewer parameters: /jobs/batch before /jobs/{id}
    ordered = sorted(by_path, key=lambda p: (p.count("{"), p))
    return SpecRoutes(spec.prefix, [Route(p, endpoint=ByMethod(by_path[p])) for p in ordered])


def find(routes: SpecRoutes[ByMethod[T]], method: str, path: str
         ) -> tuple[T | None, dict[str, str], ByMethod[T] | None]:
    """What ``method path`` reaches: the method's value (``None``: the path has no such
    method, or there is no such path), the path parameters, and the path's ``ByMethod``
    (``None``: no such path)."""
    found = routes.find({"type": "http", "path": path})
    if found is None:
        return None, {}, None
    methods, params = found
    # a spec's routes have string parameters only (``{id}``, ``{object:path}``): as matched
    return methods(method), cast(dict[str, str], params), methods
