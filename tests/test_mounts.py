"""The one table of base paths (``mock_server.mounts``): the running mock mounts each API where
the table says, the helpers join and split base URLs by it, and no other module spells a base
path of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

from mock_server._plugin_server import Remote
from mock_server.mounts import BASE_PATHS, base_url, root_url
from mock_server.stagepro.backend import StageProBackend
from mock_server.stagerai.backend import StagerAIBackend

ROOT = Path(__file__).resolve().parent.parent


def test_the_backends_mount_each_api_where_the_table_says(http: httpx.Client) -> None:
    assert {StageProBackend.name: StageProBackend.base_path,
            StagerAIBackend.name: StagerAIBackend.base_path} == dict(BASE_PATHS)
    apis = http.get("/__mock/health").json()["apis"]
    assert {api: a["base_path"] for api, a in apis.items()} == {
        api: path or "/" for api, path in BASE_PATHS.items()}


def test_each_api_answers_at_its_base_url(http: httpx.Client) -> None:
    """Without a key each API refuses in its own words, which names the API mounted there;
    a path of one API under the other's base matches nothing."""
    root = str(http.base_url)
    stagepro = httpx.get(base_url(root, "stagepro") + "/capabilities", timeout=30)
    assert stagepro.status_code == 401 and stagepro.json()["error"]["field"] == "Authorization"
    stagerai = httpx.post(base_url(root, "stagerai") + "/api/projects", json={}, timeout=30)
    assert stagerai.status_code == 401 and stagerai.json()["error"]["field"] == "stager-api-key"
    assert httpx.get(base_url(root, "stagerai") + "/capabilities", timeout=30).status_code == 404
    assert httpx.post(base_url(root, "stagepro") + "/api/projects", json={},
                      timeout=30).status_code == 404


@pytest.mark.parametrize("api", sorted(BASE_PATHS))
@pytest.mark.parametrize("root", ["http://127.0.0.1:8000", "http://127.0.0.1:8000/"])
def test_base_url_and_root_url_undo_each_other(api: str, root: str) -> None:
    assert base_url(root, api) == "http://127.0.0.1:8000" + BASE_PATHS[api]
    assert root_url(base_url(root, api)) == "http://127.0.0.1:8000"
    assert root_url(base_url(root, api) + "/") == "http://127.0.0.1:8000"


def test_the_plugin_takes_either_apis_base_url_for_the_mocks_root() -> None:
    for api in BASE_PATHS:
        remote = Remote(base_url("http://127.0.0.1:9", api), None)
        assert remote.url == "http://127.0.0.1:9"
        remote.stop()


def test_no_other_module_spells_a_base_path() -> None:
    """A second table would drift from this one: every module reads ``BASE_PATHS``."""
    spelled = []
    for package in ("mock_server", "contract_tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "mock_server" / "mounts.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in {
                        p for p in BASE_PATHS.values() if p}:
                    spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not spelled, f"base paths spelled outside mock_server/mounts.py: {spelled}"
