"""The proxy's own page (``/__mock/ui`` of ``stagemock proxy``) in a real browser: each
exchange with both verdicts, a broken rule, a contradicted guess and an answer outside the
spec told apart."""

from __future__ import annotations

import httpx

from tests.proxy import deviating
from tests.proxy.conftest import proxying, serving
from tests.ui.conftest import screenshot


def test_the_page_shows_each_exchange_with_its_two_verdicts(page):
    with serving(deviating.app) as upstream, \
            proxying("stagepro", upstream + "/api/v1") as (origin, _p):
        key = {"Authorization": "Bearer sk_test_proxy_page"}
        httpx.post(origin + "/api/v1/jobs", headers=key, json={"type": "virtual-stage"})
        httpx.get(origin + "/api/v1/jobs/job_DEVIATING0000000001", headers=key)
        httpx.post(origin + "/api/v1/jobs/job_DEVIATING0000000001/regenerate", headers=key,
                   json={})
        page.goto(origin + "/__mock/ui")
        page.wait_for_selector("tr[data-seq='3']")
        assert "stagepro → " + upstream + "/api/v1" in page.text_content("#about")
        client_side = page.text_content("tr[data-seq='1'] td:nth-child(5)")
        assert "breaks the spec" in client_side and "input" in client_side
        # statuses the operations do not declare: outside the spec (issue 30)
        teapot = page.text_content("tr[data-seq='2'] td:nth-child(6)")
        assert "outside the spec" in teapot and "418" in teapot
        regen = page.locator("tr[data-seq='3'] td:nth-child(6) .unspecified")
        assert "outside the spec" in regen.text_content() and "200" in regen.text_content()
        httpx.get(origin + "/api/v1/usage", headers=key)
        page.wait_for_selector("tr[data-seq='4']")  # new exchanges arrive while it is open
        assert page.text_content("tr[data-seq='4'] td:nth-child(3)") == "getUsage"
        usage = page.locator("tr[data-seq='4'] td:nth-child(6) .guess").first
        assert "contradicts a guess" in usage.text_content()
        assert "/usage returns credits" in usage.get_attribute("title")
        screenshot(page, "proxy.png", full_page=True)
