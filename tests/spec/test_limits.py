"""The limits written once in ``mock_server/limits.py`` agree with every number the specs
state for the same rule, and the capabilities answer reports them."""

from __future__ import annotations

import yaml

from mock_server import limits
from mock_server.spec.schema_walk import request_schema, schema_at
from tests.conftest import ROOT

SPEC = yaml.safe_load((ROOT / "openapi" / "stagepro.yaml").read_text())


def _query_schema(path: str, name: str) -> dict:
    params = SPEC["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p.get("name") == name)


def test_batch_and_workflow_photo_limits_match_the_spec():
    for path in ("/batches", "/workflows"):
        photos = schema_at(SPEC, request_schema(SPEC, path, "post"), "photos")
        assert photos["maxItems"] == limits.BATCH_MAX_PHOTOS, path


def test_the_jobs_page_default_matches_the_spec():
    assert _query_schema("/jobs", "limit")["default"] == limits.JOBS_PAGE_DEFAULT


def test_capabilities_report_the_limits(sp):
    caps = sp.get("/capabilities").json()
    assert caps["limits"] == limits.stagepro_capabilities()
    assert caps["limits"]["upload_max_bytes"] == limits.UPLOAD_MAX_BYTES
