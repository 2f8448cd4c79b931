"""What Starlette's router serves besides the APIs: the index ``GET /``, the specs under
``/openapi/``, the stored output files under ``/files/`` and the sample photos under
``/fixtures/`` (plain routes, in no spec)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .errors import NotFound, stagepro_shape
from .http import json_response

if TYPE_CHECKING:
    from .context import AppContext

#: A plain route's endpoint.
Endpoint = Callable[[Request], Awaitable[Response]]


def serve_spec(ctx: AppContext) -> Endpoint:
    files = {"admin.yaml", *(b.spec_file for b in ctx.backends.values())}

    async def serve_spec(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return json_response(stagepro_shape(NotFound(f"no spec named {name!r}")), 404)
        data = (ctx.settings.openapi_dir / name).read_bytes()
        return Response(data, media_type="application/yaml")

    return serve_spec


API_TITLES = {"stagepro": "StagePro API v1", "stagerai": "Stager AI API"}


def index(ctx: AppContext) -> Endpoint:
    """``GET /``: what is served where (not in any spec: like ``/openapi/``, a plain route).
    JSON, or a small HTML page of links for a client that accepts HTML (a browser)."""
    from html import escape

    from ._version import __version__
    from .http import base_url

    async def answer(request: Request) -> Response:
        root = base_url(request, ctx.settings.public_url)
        apis = {
            b.name: {
                "title": API_TITLES.get(b.name, b.name),
                "base_url": root + b.base_path,
                "spec": f"{root}/openapi/{b.spec_file}",
            }
            for b in ctx.backends.values()
        }
        body = {
            "service": "stagemock",
            "version": __version__,
            "apis": apis,
            "control_plane": {
                "base_url": f"{root}/__mock/",
                "spec": f"{root}/openapi/admin.yaml",
                "health": f"{root}/__mock/health",
            },
            "dashboard": f"{root}/__mock/ui",
            "sample_photos": f"{root}/fixtures/",
        }
        accept = request.headers.get("accept", "")
        if "text/html" not in accept:
            return json_response(body)
        rows = "".join(
            f"<li>{escape(a['title'])}: <code>{escape(a['base_url'])}</code> "
            f"(<a href=\"{escape(a['spec'])}\">spec</a>)</li>"
            for a in apis.values()
        )
        page = (
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>stagemock</title></head>"
            f"<body><h1>stagemock {escape(__version__)}</h1><ul>{rows}"
            f"<li>control plane: <code>{escape(root)}/__mock/</code> "
            f"(<a href=\"{escape(root)}/openapi/admin.yaml\">spec</a>)</li>"
            f"<li><a href=\"{escape(root)}/__mock/ui\">dashboard</a></li></ul></body></html>"
        )
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": "default-src 'none'"})

    return answer


def serve_file(ctx: AppContext) -> Endpoint:
    async def serve_file(request: Request) -> Response:
        key = request.path_params["key"]
        blob = ctx.blobs.get(key)
        if blob is None:
            return json_response(stagepro_shape(NotFound(f"no file {key!r}")), 404)
        headers = {"ETag": blob.etag, "Cache-Control": "public, max-age=31536000, immutable"}
        if request.headers.get("if-none-match") == blob.etag:
            return Response(status_code=304, headers=headers)
        return Response(blob.data, media_type=blob.content_type, headers=headers)

    return serve_file


#: The folders of sample photos served under ``/fixtures/`` (the rest of the fixtures, the
#: accounts and prices, stay out of reach: they are configuration, not inputs).
PHOTO_FOLDERS = ("photos", "brackets")


def sample_photos(ctx: AppContext) -> Endpoint:
    """``GET /fixtures/``: the sample photos' URLs by folder; ``GET /fixtures/{folder}/{name}``:
    one of them. A test suite in a container or another language uploads them without the
    Python package's ``fixture_path``."""
    from .http import base_url

    def listing() -> dict[str, list[str]]:
        root = ctx.settings.fixtures_dir
        return {f: sorted(p.name for p in (root / f).glob("*.jpg")) for f in PHOTO_FOLDERS}

    async def answer(request: Request) -> Response:
        folder = request.path_params.get("folder")
        name = request.path_params.get("name")
        found = listing()
        if folder is None:
            root = base_url(request, ctx.settings.public_url)
            return json_response({f: [f"{root}/fixtures/{f}/{n}" for n in names]
                                  for f, names in found.items()})
        if name not in found.get(folder, []):  # only the listed names: no path escapes
            return json_response(
                stagepro_shape(NotFound(f"no sample photo {folder}/{name}")), 404)
        data = (ctx.settings.fixtures_dir / folder / name).read_bytes()
        return Response(data, media_type="image/jpeg",
                        headers={"Cache-Control": "public, max-age=3600"})

    return answer
