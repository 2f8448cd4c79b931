"""Where the mock mounts each vendor API below its root: the one table of base paths. The
backends take their ``base_path`` from it (the app routes by that); replay and the HAR reader,
the pytest plugin, the CLI, ``stagemock mcp`` and the contract suite read it too. A leaf (the
standard library only): the proxy and the plugin import it without importing the backends
(nothing below ``app`` imports ``proxy``; the plugin, loaded in every pytest run, stays
light)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: API name → its base path on the mock: StagePro's paths under ``/api/v1`` (its reference's
#: base URL ends so), Stager AI's at the root (its reference's paths start there).
BASE_PATHS: Mapping[str, str] = MappingProxyType({"stagepro": "/api/v1", "stagerai": ""})


def base_url(root: str, api: str) -> str:
    """The base URL of ``api`` on the mock at ``root`` (``http://127.0.0.1:8000``)."""
    return root.rstrip("/") + BASE_PATHS[api]


def root_url(url: str) -> str:
    """The mock's root URL from its root or the base URL of one of its APIs."""
    root = url.rstrip("/")
    for path in BASE_PATHS.values():
        if path and root.endswith(path):
            return root[: -len(path)]
    return root
