"""The proxy's control plane (``/__mock/``) served from ``openapi/proxy-admin.yaml``: the
spec is valid and every operation of it is served; unknown paths, methods and invalid
parameters answer in the control plane's envelope; the journal's filters and the health's
hook sections work. Over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from mock_server.proxy.app import Proxy
from mock_server.proxy.hooks import Hook
from tests.proxy import deviating
from tests.proxy.conftest import serving

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "proxy-admin.yaml"
KEY = {"Authorization": "Bearer sk_test_proxy_control"}


class Counted(Hook):
    name = "counted"

    def __init__(self) -> None:
        self.count = 0

    def done(self, flow: object) -> None:
        self.count += 1

    def health(self) -> dict[str, int]:
        return {"exchanges": self.count}


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(deviating.app) as upstream, \
            serving(Proxy("stagepro", upstream + "/api/v1", hooks=[Counted()])) as origin:
        httpx.post(origin + "/api/v1/jobs", headers=KEY, json={"type": "virtual-stage"})
        httpx.get(origin + "/api/v1/usage", headers=KEY)
        yield origin


def test_the_spec_is_valid_openapi_and_says_it_is_the_proxys_own():
    document = yaml.safe_load(SPEC.read_text())
    validate(document)
    assert "Nothing here exists on\nthe real vendor APIs" in document["info"]["description"]
    assert all(path.startswith("/__mock/") for path in document["paths"])


def test_every_operation_needs_its_handler(tmp_path):
    spec = yaml.safe_load(SPEC.read_text())
    spec["paths"]["/__mock/extra"] = {"get": {"operationId": "getExtra",
                                              "responses": {"200": {"description": "x"}}}}
    (tmp_path / "proxy-admin.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "stagepro.yaml").write_text((SPEC.parent / "stagepro.yaml").read_text())
    with pytest.raises(RuntimeError, match=r"operations without a handler: \['getExtra'\]"):
        Proxy("stagepro", "http://127.0.0.1:9/api/v1", openapi_dir=tmp_path)


def test_an_unknown_path_is_a_404_in_the_envelope(origin):
    answer = httpx.get(origin + "/__mock/accounts")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "not_found" and "GET /__mock/accounts" in error["message"]
    assert "/__mock/journal" in error["message"]  # what it does serve, from the spec


def test_a_method_the_path_does_not_serve_is_a_405_with_allow(origin):
    answer = httpx.post(origin + "/__mock/journal")
    assert answer.status_code == 405 and answer.headers["allow"] == "DELETE, GET"
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_a_query_parameter_is_validated_by_its_schema(origin):
    answer = httpx.get(origin + "/__mock/journal", params={"since": "soon"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and error["field"] == "since"
    assert httpx.get(origin + "/__mock/journal",
                     params={"since": "-1"}).json()["error"]["field"] == "since"


def test_the_journal_filters_by_seq_and_verdict(origin):
    entries = httpx.get(origin + "/__mock/journal").json()["entries"]
    assert [e["operation_id"] for e in entries] == ["createJob", "getUsage"]
    later = httpx.get(origin + "/__mock/journal", params={"since": 1}).json()["entries"]
    assert [e["seq"] for e in later] == [2]
    bad = httpx.get(origin + "/__mock/journal", params={"nonconformant": "true"}).json()
    assert [e["seq"] for e in bad["entries"]] == [1, 2]  # the client's and the upstream's


def test_health_carries_each_hooks_section(origin):
    health = httpx.get(origin + "/__mock/health").json()
    assert health["mode"] == "proxy" and health["base_path"] == "/api/v1"
    assert health["recording"] is None
    assert health["hooks"]["counted"]["exchanges"] >= 2


def test_the_page_and_its_script_and_no_other_asset(origin):
    page = httpx.get(origin + "/__mock/ui")
    assert page.status_code == 200 and "stagemock proxy" in page.text
    script = httpx.get(origin + "/__mock/ui/proxy.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript")
    missing = httpx.get(origin + "/__mock/ui/app.js")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_clearing_the_journal_keeps_the_numbering(origin):
    assert httpx.delete(origin + "/__mock/journal").status_code == 204
    journal = httpx.get(origin + "/__mock/journal").json()
    assert journal["entries"] == [] and journal["total"] >= 2
