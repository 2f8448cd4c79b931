"""The journal page shows the resilience report beside the journal (``GET
/__mock/resilience``): a client that ignores an injected fault has its finding on the page,
linked to the faulted request, not only in a terminal's ``journal-report``."""

from __future__ import annotations

from typing import Any

import httpx

from mock_server.settings import Settings
from mock_server.testing import RunningServer

from .conftest import screenshot

KEY = "sk_test_resilience_page"
CALM = "sk_test_resilience_calm"
JOB = {"type": "listing-tool", "input": {"image_url": "https://photos.example/front.jpg",
                                         "listing_tool": "virtual-twilight"}}


def test_a_client_that_ignores_a_fault_has_its_finding_on_the_journal_page(page: Any) -> None:
    from playwright.sync_api import expect

    server = RunningServer(Settings(deterministic=True, image_workers=0)).start()
    try:
        server.fault("stagepro", "lose_response", operation="createJob", api_key=KEY)
        server.fault("stagepro", "error", operation="getUsage", api_key=KEY, status=503)
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30,
                          headers={"Authorization": f"Bearer {KEY}"}) as api:
            assert api.post("/jobs", json=JOB).status_code == 502  # the answer is lost...
            job = api.post("/jobs", json=JOB).json()["id"]  # ...and sent again: a duplicate
            assert api.get("/usage").status_code == 503  # and never retried
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30,
                          headers={"Authorization": f"Bearer {CALM}"}) as calm:
            assert calm.get("/usage").status_code == 200
        expected = server.resilience_report(KEY)["resilience"]
        assert [f["kind"] for f in expected] == ["duplicate", "never_retried"]

        page.goto(f"{server.url}/__mock/ui#/journal")
        panel = page.locator("#resilience")
        expect(panel).to_contain_text("2 injected answers, 2 findings")
        findings = panel.locator("li.finding")
        expect(findings).to_have_count(2)
        expect(findings.nth(0)).to_have_attribute("data-kind", "duplicate")
        expect(findings.nth(0)).to_contain_text(job)
        expect(findings.nth(1)).to_contain_text("never_retried")
        expect(findings.nth(1)).to_contain_text("never sent again")
        for f, row in zip(expected, findings.all(), strict=True):
            expect(row).to_contain_text(f"#{f['seq']}")
            expect(row).to_contain_text(f["message"])
        # the faulted request is a row of the journal beside it, marked as injected
        faulted = page.locator(f'#journal tr.entry[data-seq="{expected[1]["seq"]}"]')
        expect(faulted).to_have_class("entry injected")
        screenshot(page, "dashboard-resilience.png", full_page=True)

        # filtered to a key no fault touched: nothing to judge, no finding of the other key
        page.select_option("#filter-key", CALM)
        expect(panel).to_contain_text("nothing to judge")
        expect(panel.locator("li.finding")).to_have_count(0)
    finally:
        server.stop()
