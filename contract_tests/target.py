"""What the suite runs against: a base URL, keys, and whether a stagemock control plane is
there (mock-only suites need it and are skipped, with the reason, when it is not)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from mock_server.resources import spec_path

SPECS = {"stagepro": spec_path("stagepro"), "stagerai": spec_path("stagerai")}
#: Where each API lives below the mock's root URL (used when ``check`` starts the mock).
BASE_PATHS = {"stagepro": "/api/v1", "stagerai": ""}
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
