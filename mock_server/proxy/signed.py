"""Stager AI's signed upload URLs, rerouted through a recording proxy, so an HDR session's
bracket ``PUT``\\s are recorded with the rest and a replay can send them again.

Without ``--record`` the proxy leaves a signed URL alone: the client uploads straight to
storage. While recording, the answer of an operation that issues one (its schema has an
``uploadUrl``: ``createHdrUploadUrl``) is read whole (a small JSON body), each signed URL in it
rewritten to the proxy's own origin, and the rewritten answer relayed with its new length:

- a URL on the upstream's own origin (stagemock serves storage under ``/gcs/``) keeps its path
  and query: the proxy relays the ``PUT`` to the upstream like any request;
- a URL on another origin (``https://storage.googleapis.com/BUCKET/OBJECT?...``) becomes
  ``/gcs/BUCKET/OBJECT?...`` on the proxy (the mock's form of the same URL), and the proxy
  relays a ``PUT`` there to that origin, ``/gcs`` taken off.

Path and query are kept byte for byte, so the signature (which covers them and the fixed
host ``storage.googleapis.com``, not the host the URL is sent to) still holds.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from ..jsontypes import Json, JsonObject
from ..spec.loader import ApiSpec, resolve
from .upstream import Upstream

#: The field of an answer that holds a signed upload URL.
URL_FIELD = "uploadUrl"
MARK = "X-Goog-Signature="
#: An answer larger than this is relayed as it comes, never rewritten.
LIMIT = 64 * 1024


def issuing(spec: ApiSpec) -> frozenset[str]:
    """The operations whose 2xx answer schema has an ``uploadUrl``."""
    out = set()
    for op in spec.operations:
        for status, response in (op.responses or {}).items():
            if not str(status).startswith("2"):
                continue
            for media in (resolve(spec.document, response).get("content") or {}).values():
                schema = resolve(spec.document, (media or {}).get("schema") or {})
                if URL_FIELD in (schema.get("properties") or {}):
                    out.add(op.operation_id)
    return frozenset(out)


class SignedUrls:
    """The signed URLs one recording proxy reroutes (the module docstring)."""

    def __init__(self, spec: ApiSpec, upstream_origin: str, timeout: float,
                 ca_bundle: str | None = None) -> None:
        self.operations = issuing(spec)
        self.upstream_origin = upstream_origin
        self.timeout = timeout
        self.ca_bundle = ca_bundle
        #: ``/gcs/<bucket>`` → the storage origin it was rerouted from, and its client
        self.stores: dict[str, Upstream] = {}

    def wants(self, operation_id: str | None, status: int, length: str | None,
              encoding: str | None) -> bool:
        """Whether this answer is read whole and rewritten."""
        return (operation_id in self.operations and 200 <= status < 300
                and (encoding or "identity") == "identity"
                and (length is None or (length.isdigit() and int(length) <= LIMIT)))

    def rewrite(self, body: bytes, proxy_origin: str) -> bytes:
        """The answer with each signed URL through the proxy (unchanged if not JSON)."""
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        return json.dumps(self._walk(doc, proxy_origin), separators=(",", ":")).encode()

    def _walk(self, value: Json, proxy_origin: str, key: str | None = None) -> Json:
        if isinstance(value, dict):
            out: JsonObject = {k: self._walk(v, proxy_origin, k) for k, v in value.items()}
            return out
        if isinstance(value, list):
            return [self._walk(v, proxy_origin, key) for v in value]
        # every URL of an answer that issues upload URLs: a GCS signed URL, the `uploadUrl`
        # of a server that signs its own way, or one it names otherwise
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return self._through(value, proxy_origin)
        return value

    def _through(self, url: str, proxy_origin: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        if origin == self.upstream_origin:
            return proxy_origin + rest
        bucket = "/gcs/" + parts.path.lstrip("/").split("/", 1)[0]
        if bucket not in self.stores:
            self.stores[bucket] = Upstream(origin, self.timeout, ca_bundle=self.ca_bundle)
        return proxy_origin + "/gcs" + rest

    def route(self, path: str, target: str) -> tuple[Upstream, str] | None:
        """The storage client and target of a request to a rerouted URL (``None``: the
        upstream's)."""
        for bucket, client in self.stores.items():
            if path == bucket or path.startswith(bucket + "/"):
                return client, target.removeprefix("/gcs")
        return None

    async def close(self) -> None:
        for client in self.stores.values():
            await client.close()
