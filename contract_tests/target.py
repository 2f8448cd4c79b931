"""What the suite runs against: a base URL, keys, and whether a stagemock control plane is
there (mock-only suites need it and are skipped, with the reason, when it is not)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from mock_server.jsontypes import JsonObject
from mock_server.resources import spec_path

SPECS = {"stagepro": spec_path("stagepro"), "stagerai": spec_path("stagerai")}
DEFAULT_KEYS = {"stagepro": "sk_test_contract", "stagerai": "stager_test_contract"}
DEFAULT_OTHER_KEYS = {
    "stagepro": "sk_test_contract_other",
    "stagerai": "stager_test_contract_other",
}


@dataclass(frozen=True)
class Target:
    api: str
    #: The API's base URL, taken literally: the spec's paths go right after it
    #: (``https://www.stageproai.com/api/v1``, ``http://127.0.0.1:4010``, ``http://clone/v1``).
    base_url: str
    api_key: str
    other_api_key: str | None
    console_session: str | None = None
    has_control_plane: bool = False

    @property
    def root_url(self) -> str:
        """The origin (``scheme://host:port``), where a stagemock control plane would be."""
        return origin(self.base_url)

    def auth_headers(self, key: str | None = None) -> dict[str, str]:
        key = self.api_key if key is None else key
        if self.api == "stagepro":
            return {"Authorization": f"Bearer {key}"}
        return {"stager-api-key": key}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def probe_control_plane(root_url: str) -> bool:
    try:
        r = httpx.get(f"{root_url}/__mock/health", timeout=5)
        return r.status_code == 200 and r.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


#: One authenticated, side-effect-free request per API: how ``stagemock check`` tells a key
#: the API refuses (401/403) before running hundreds of cases with it.
#: Paths relative to the API's base URL (the spec's paths).
KEY_PROBES = {"stagepro": "/usage", "stagerai": "/api/hdr-image-group/stagemock-key-check"}
API_NAMES = {"stagepro": "StagePro", "stagerai": "Stager AI"}


def unreachable(url: str) -> str | None:
    """None when something answers HTTP at ``url`` (any status), else why not."""
    try:
        httpx.get(url, timeout=10)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None


def key_refused(api: str, base_url: str, key: str) -> str | None:
    """None when the API at ``base_url`` takes ``key``; else the status and the API's error,
    in one line."""
    probe = Target(api, base_url, key, None)
    try:
        r = httpx.get(base_url + KEY_PROBES[api], headers=probe.auth_headers(), timeout=10)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if r.status_code not in (401, 403):
        return None
    detail = ""
    try:
        err = r.json().get("error")
        if isinstance(err, dict):
            detail = f" {err.get('code')}: {err.get('message')}"
    except ValueError:
        pass
    return f"{r.status_code}{detail}"


@functools.cache
def _spec(api: str) -> JsonObject:
    from mock_server.spec.loader import read_document

    return read_document(SPECS[api])


#: What fills a path parameter of a route probe (``/api/hdr-image-group/{groupId}``).
PROBE_ID = "stagemock-base-check"


@dataclass(frozen=True)
class Probe:
    """One GET that tells whether the spec's routes live at a base URL: ``path`` after it,
    sent with the key (``keyed``: a plain probe, answering anything but 404 at the API's
    base) or without one (a route probe: at the API's base, authentication answers 401 before
    any lookup could answer 404)."""

    path: str
    keyed: bool

    def line(self) -> str:
        return f"GET {self.path}" + ("" if self.keyed else " without a key")


def base_probes(api: str) -> list[Probe]:
    """The spec's requests that tell a wrong base, at most 3; a 404 from every one of them
    means no operation of the spec lives there.

    First the plain probes: side-effect-free GETs without parameters in the path whose
    responses do not list 404 (StagePro's ``/usage``, ``/capabilities``), sent with the key.
    An API without such operations (Stager AI: its one GET names a group that may not exist)
    gets route probes instead: each GET that lists 401, its path parameters filled with
    ``PROBE_ID``, sent without a key. A request without a key changes nothing anywhere."""
    plain, routes = [], []
    for path, item in _spec(api)["paths"].items():
        op = item.get("get") if isinstance(item, dict) else None
        if not isinstance(op, dict):
            continue
        responses = op.get("responses") or {}
        if "{" not in path and "404" not in responses and not op.get("security") \
                and not any(p.get("required") for p in op.get("parameters") or []):
            plain.append(Probe(path, keyed=True))
        elif "401" in responses and op.get("security") != []:
            routes.append(Probe(re.sub(r"\{[^}]+\}", PROBE_ID, path), keyed=False))
    return (plain or routes)[:3]


def _answers_404(api: str, base_url: str, key: str, probes: list[Probe]) -> bool:
    headers = Target(api, base_url, key, None).auth_headers()
    for probe in probes:
        try:
            r = httpx.get(base_url + probe.path, headers=headers if probe.keyed else {},
                          timeout=10)
        except httpx.HTTPError:
            return False
        if r.status_code != 404:
            return False
    return True


def wrong_base(api: str, base_url: str, key: str) -> str | None:
    """None when the spec's operations answer at ``base_url``; else one line saying that
    they answer 404 there and, when one answers, the base they do answer at (the spec's
    server paths, after the origin or after ``base_url``): "did you mean …?"."""
    probes = base_probes(api)
    if not probes or not _answers_404(api, base_url, key, probes):
        return None
    root = origin(base_url)
    candidates: list[str] = []
    for server in _spec(api).get("servers") or []:
        suffix = urlsplit(str(server.get("url", ""))).path.rstrip("/")
        for url in (root + suffix, base_url + suffix):
            if url != base_url and url not in candidates:
                candidates.append(url)
    tried = ", ".join(p.line() for p in probes)
    if all(p.keyed for p in probes):
        said = f"the {API_NAMES[api]} API's operations answer 404 at {base_url} ({tried})"
    else:  # a route would have answered 401 to a request without a key
        said = (f"no {API_NAMES[api]} route answers at {base_url} ({tried}: 404, where the "
                "API answers 401)")
    said += ": --base-url is the API's base, the spec's paths go right after it"
    for url in candidates:
        if not _answers_404(api, url, key, probes):
            return f"{said}; did you mean {url}?"
    return said
