"""The dashboard at /__mock/ui in a real browser, against a live mock with data from both
APIs: what a person would see on each page, live updates, buttons, and escaping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mock_server.settings import Settings
from mock_server.testing import RunningServer, WebhookReceiver
from tests.waiting import wait_for

from .conftest import ROOT, screenshot

KEY = "sk_test_dashboard"
STAGER_KEY = "stager_test_dashboard"
XSS = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
BRACKETS = sorted((ROOT / "fixtures" / "brackets").glob("*.jpg"))
EXTERIOR = (ROOT / "fixtures" / "photos" / "exterior.jpg").read_bytes()




@dataclass
class World:
    server: RunningServer
    receiver: WebhookReceiver
    endpoint_id: str = ""
    jobs: dict[str, str] = field(default_factory=dict)
    group_id: str = ""
    image_id: str = ""

    @property
    def ui(self) -> str:
        return f"{self.server.url}/__mock/ui"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    receiver = WebhookReceiver().start()
    server = RunningServer(Settings(deterministic=True, image_workers=1)).start()
    w = World(server, receiver)
    try:
        _populate(w)
        yield w
    finally:
        server.stop()
        receiver.stop()


def _populate(w: World) -> None:
    url = w.server.url
    sp = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {KEY}"},
                      timeout=30)
    token = w.server.admin("POST", "console-sessions", json={"api_key": KEY}).json()["token"]
    console = httpx.Client(base_url=f"{url}/api/v1", cookies={"stagepro_session": token},
                           timeout=30)
    ep = console.post("/webhooks", json={"url": w.receiver.url}).json()
    w.endpoint_id = ep["id"]
    wait_for(lambda: console.get("/webhooks").json()["data"][0]["status"] == "active")
    hook = {"webhook_endpoint_id": w.endpoint_id}
    for name, body in {
        "ok": {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg",
                                                 "listing_tool": "virtual-twilight"},
               "metadata": {"listing_id": "MLS-1"}, **hook},
        "fail": {"type": "edit", "input": {"image_url": "https://x.test/fail-image_too_dark.jpg"},
                 "metadata": {"listing_id": "MLS-1"}, **hook},
        "xss": {"type": "edit", "input": {"image_url": "https://example.com/room.jpg"},
                "metadata": {"note": XSS, "listing_id": "MLS-2"}},
    }.items():
        r = sp.post("/jobs", json=body)
        assert r.status_code in (200, 201, 202), r.text
        w.jobs[name] = r.json()["id"]
    r = sp.post("/batches", json={"type": "empty-room", "listing_id": "MLS-3", "photos": [
        {"image_url": "https://example.com/a.jpg"}, {"image_url": "https://example.com/b.jpg"}]})
    assert r.status_code in (200, 201, 202), r.text
    r = sp.post("/workflows", json={"template": "mls-sky-enhance", "listing_id": "MLS-4",
                                    "photos": [{"image_url": "https://example.com/out.jpg"}]})
    assert r.status_code in (200, 201, 202), r.text
    # a journaled path with markup in it (404, non-conformant)
    assert sp.get("/jobs/" + XSS).status_code == 404

    sa = httpx.Client(base_url=url, headers={"stager-api-key": STAGER_KEY}, timeout=30)
    project = sa.post("/api/projects", json={"title": "12 Elm Street"}).json()
    group = sa.post("/api/hdr-image-group", json={"projectId": project["id"],
                                                  "lensCorrection": True}).json()
    w.group_id = group["groupId"]
    for path in BRACKETS:
        up = sa.post("/api/hdr-upload-url", json={"projectId": project["id"],
                                                  "groupId": w.group_id,
                                                  "filename": path.name}).json()
        assert httpx.put(up["uploadUrl"], content=path.read_bytes()).status_code == 200
    assert sa.post("/api/hdr-enhance", json={"projectId": project["id"],
                                             "groupId": w.group_id}).status_code == 200
    image = sa.post("/api/image", files={"file": ("house.jpg", EXTERIOR, "image/jpeg")}).json()
    w.image_id = image["data"]["id"]
    r = sa.post(f"/api/images/{w.image_id}/sky-replace",
                json={"skyType": "blue", "resolution": "low"})
    assert r.status_code == 200, r.text
    # Everything so far completes; the webhook deliveries arrive.
    w.server.advance(60)
    w.receiver.wait_for(2)
    wait_for(lambda: all(d["attempts"] for d in
                      w.server.admin("GET", "webhooks/deliveries").json()["data"]))


def _pump(page: Any) -> Callable[[float], None]:
    """A pause for :func:`wait_for` that keeps Playwright dispatching (routes, events): the
    sync API only runs its handlers inside its own calls, never during ``time.sleep``."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


def images_loaded(page: Any, selector: str, at_least: int = 1) -> int:
    """Wait until every image matching ``selector`` has loaded (naturalWidth > 0)."""
    page.wait_for_function(
        """([sel, n]) => { const imgs = [...document.querySelectorAll(sel)];
             return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0); }""",
        arg=[selector, at_least],
    )
    return page.locator(selector).count()


def test_overview_shows_the_mock_and_its_accounts(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(world.ui)
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#mode")).to_have_text("deterministic (virtual clock)")
    expect(page.locator("#clock-now")).to_have_text(world.server.admin("GET", "clock").json()["now"])
    expect(page.get_by_text(f"{world.server.url}/api/v1")).to_be_visible()
    row = page.locator("#accounts tr", has_text="sk_test_…oard")
    expect(row).to_contain_text("5 completed")
    expect(row).to_contain_text("1 failed")
    expect(page.locator("#accounts tr", has_text="stager_test_…oard")).to_be_visible()
    assert KEY not in page.locator("#accounts").inner_text()  # keys are masked
    screenshot(page, "overview.png", full_page=True)


def test_overview_custom_advance_and_reset_one_account_with_confirmation(
    world: World, page: Any
) -> None:
    from playwright.sync_api import expect

    key = "sk_test_dashboard_reset"
    sp = httpx.Client(base_url=f"{world.server.url}/api/v1",
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)
    body = {"type": "edit", "input": {"image_url": "https://example.com/r.jpg"}}
    assert sp.post("/jobs", json=body).status_code == 202
    page.goto(world.ui)
    row = page.locator("#accounts tr", has_text="sk_test_…eset")
    expect(row).to_have_count(1)
    before = world.server.admin("GET", "clock").json()
    expect(page.locator("#clock-now")).to_have_text(before["now"])
    page.fill("#clock-controls input", "45")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(page.locator("#clock-now")).not_to_have_text(before["now"])
    after = world.server.admin("GET", "clock").json()
    assert after["unix"] == before["unix"] + 45
    expect(page.locator("#clock-now")).to_have_text(after["now"])

    messages: list[str] = []

    def answer(accept: bool) -> Any:
        def handler(dialog: Any) -> None:
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handler

    page.once("dialog", answer(False))
    row.get_by_role("button", name="Reset").click()
    assert messages and "sk_test_…eset" in messages[0]
    page.wait_for_timeout(300)
    expect(row).to_have_count(1)
    assert world.server.admin("GET", f"accounts/{key}").status_code == 200
    page.once("dialog", answer(True))
    row.get_by_role("button", name="Reset").click()
    expect(row).to_have_count(0)
    assert world.server.admin("GET", f"accounts/{key}").status_code == 404


def test_advance_one_minute_completes_queued_jobs_without_a_reload(
    world: World, page: Any
) -> None:
    from playwright.sync_api import expect

    key = "sk_test_dashboard_live"
    page.goto(f"{world.ui}#/jobs/{key}")
    page.evaluate("window.__same_document = true")
    expect(page.locator("#error")).to_contain_text("no account")  # not used yet
    sp = httpx.Client(base_url=f"{world.server.url}/api/v1",
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)
    for i in range(3):
        body = {"type": "edit", "input": {"image_url": f"https://example.com/live{i}.jpg"}}
        assert sp.post("/jobs", json=body).status_code == 202
    expect(page.locator("#error")).to_be_hidden()  # polling found the account
    rows = page.locator("#jobs tr.job")
    expect(rows).to_have_count(3)
    expect(page.locator("#jobs tr.job[data-status=queued]")).to_have_count(3)
    page.get_by_role("button", name="+1 min").first.click()
    expect(page.locator("#jobs tr.job[data-status=completed]")).to_have_count(3)
    expect(rows.first.locator(".badge")).to_have_text("completed")
    assert page.evaluate("window.__same_document") is True  # no reload happened
    images_loaded(page, "#jobs img.thumb", at_least=6)  # input and output of each


def test_jobs_page_filters_and_thumbnails(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/jobs/{KEY}")
    rows = page.locator("#jobs tr.job")
    expect(rows).to_have_count(6)  # 3 jobs, 2 batch jobs, 1 workflow job
    failed = page.locator(f"#jobs tr.job[data-id={world.jobs['fail']}]")
    expect(failed.locator(".badge")).to_have_text("failed")
    expect(failed).to_contain_text("image_too_dark")
    expect(page.locator(f"#jobs tr.job[data-id={world.jobs['ok']}]")).to_contain_text(
        "virtual-twilight")
    images_loaded(page, "#jobs img.thumb", at_least=11)  # 6 inputs, 5 outputs
    # looking adds nothing to the journal (images come from /__mock/, not /files/)
    assert not [e for e in world.server.journal() if e["path"].startswith("/files/")]
    screenshot(page, "jobs.png")
    page.select_option("#filter-status", "failed")
    expect(rows).to_have_count(1)
    page.select_option("#filter-status", "")
    page.select_option("#filter-listing", "MLS-1")
    expect(rows).to_have_count(2)
    # a narrow window still shows the table (scrolling sideways inside its box)
    page.set_viewport_size({"width": 420, "height": 800})
    expect(rows.first).to_be_visible()
    screenshot(page, "jobs-narrow.png")


def test_job_page_images_timeline_json_and_webhook_attempts(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    job_id = world.jobs["ok"]
    page.goto(f"{world.ui}#/job/{KEY}/{job_id}")
    expect(page.locator("h1")).to_have_text(f"Job {job_id}")
    assert images_loaded(page, "img.large", at_least=2) == 2
    steps = page.locator("#timeline li")
    expect(steps).to_have_count(3)
    expect(page.locator("#timeline li.done")).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("2026-01-01 00:00:00")
    expect(steps.nth(2)).to_contain_text("completed")
    expect(page.locator("#job-json")).to_contain_text(f'"id": "{job_id}"')
    expect(page.locator(".delivery").first).to_contain_text("job.completed")
    expect(page.locator(".delivery tr.attempt")).to_have_count(1)
    expect(page.locator(".delivery tr.attempt").first).to_contain_text("200")
    screenshot(page, "job.png", full_page=True)
    page.locator("img.large").first.click()
    expect(page.locator("#lightbox")).to_be_visible()
    page.locator("#lightbox").click()
    expect(page.locator("#lightbox")).to_be_hidden()

    page.goto(f"{world.ui}#/job/{KEY}/{world.jobs['fail']}")
    expect(page.locator("#job-error")).to_contain_text("image_too_dark")
    expect(page.locator("#timeline li.done.failed")).to_have_count(1)
    expect(page.locator(".delivery")).to_contain_text("job.failed")


def test_webhooks_page_attempts_and_buttons(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/webhooks")
    endpoint = page.locator(f"#endpoints tr.endpoint[data-id={world.endpoint_id}]")
    expect(endpoint.locator(".badge").first).to_have_text("active")
    expect(endpoint).to_contain_text("passed")
    expect(endpoint).to_contain_text("whsec_…")
    deliveries = page.locator("#deliveries .delivery")
    n = len(world.server.admin("GET", "webhooks/deliveries").json()["data"])
    assert n >= 2
    expect(deliveries).to_have_count(n)
    for i in range(n):  # an attempt row per delivery
        expect(deliveries.nth(i).locator("tr.attempt")).to_have_count(1)
    first = deliveries.first
    event_id = first.get_attribute("data-event")
    before = len(world.receiver.deliveries)
    first.get_by_role("button", name="Redeliver").click()
    expect(page.locator(f".delivery[data-event={event_id}] tr.attempt")).to_have_count(2)
    world.receiver.wait_for(before + 1)

    endpoint.get_by_role("button", name="Force-fail on").click()
    expect(endpoint).to_contain_text("force-fail on")
    page.locator(f".delivery[data-event={event_id}]").get_by_role(
        "button", name="Redeliver").click()
    attempts = page.locator(f".delivery[data-event={event_id}] tr.attempt")
    expect(attempts).to_have_count(3)
    expect(attempts.nth(2)).to_contain_text("forced failure")
    expect(page.locator(f".delivery[data-event={event_id}]")).to_contain_text("next retry due")
    endpoint.get_by_role("button", name="Force-fail off").click()
    expect(endpoint).to_contain_text("off")
    endpoint.get_by_role("button", name="Re-verify").click()
    expect(endpoint.locator(".badge").first).to_have_text("active")
    screenshot(page, "webhooks.png", full_page=True)


def test_batches_and_workflows(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/batches/{KEY}")
    expect(page.locator(".batch")).to_have_count(2)  # the batch and the workflow's batch
    batch = page.locator(".batch", has_text="MLS-3")
    expect(batch.locator(".badge").first).to_have_text("completed")
    expect(batch.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tr.workflow")).to_contain_text("mls-sky-enhance")
    batch.locator("tbody tr a").first.click()
    expect(page.locator("h1")).to_contain_text("Job job_")


def test_journal_highlights_violations_and_shows_markup_as_text(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/journal")
    bad = page.locator("#journal tr.entry.bad", has_text="/api/v1/jobs/<script>")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("404")
    expect(bad).to_contain_text("non-conformant")
    expect(page.locator("#journal tr.violations").first).to_contain_text("no operation matches")
    expect(page.locator("#journal tr.entry", has_text="createJob").first).to_be_visible()
    assert XSS in bad.locator("td.path").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator("#content script, #content img[src=x]").count() == 0
    page.select_option("#filter-conformance", "bad")
    expect(page.locator("#journal tr.entry:not(.bad)")).to_have_count(0)
    page.select_option("#filter-conformance", "")
    page.select_option("#filter-api", "stagerai")
    expect(page.locator("#journal tr.entry", has_text="/api/v1/")).to_have_count(0)
    expect(page.locator("#journal tr.entry", has_text="createProject")).to_have_count(1)
    screenshot(page, "journal.png")


def test_a_poll_answered_after_a_filter_change_never_adds_its_rows(world: World, page: Any
                                                                   ) -> None:
    """A journal poll sent before the API filter changed, answered after it (a slow network):
    its StagePro rows must not join the Stager AI list (CI once caught this race)."""
    from playwright.sync_api import expect

    held: list[Any] = []
    armed = [False]

    def hold(route: Any) -> None:
        url = route.request.url
        if armed[0] and not held and "since=0" in url and "api=" not in url and (
                "nonconformant" not in url):
            held.append(route)  # answered later, by the test
            return
        route.continue_()

    page.route("**/__mock/journal?*", hold)
    page.goto(f"{world.ui}#/journal")
    expect(page.locator("#journal tr.entry", has_text="createJob").first).to_be_visible()
    armed[0] = True
    page.select_option("#filter-conformance", "bad")
    page.select_option("#filter-conformance", "")  # starts over: every entry, from seq 0
    # that request is in flight, unanswered (Playwright dispatches the route while it waits)
    wait_for(lambda: held, what="the held journal request", pause=_pump(page))
    page.select_option("#filter-api", "stagerai")
    expect(page.locator("#journal tr.entry", has_text="createProject")).to_have_count(1)
    with page.expect_response(lambda r: "/__mock/journal" in r.url and "api=" not in r.url):
        held[0].continue_()
    with page.expect_response(lambda r: "/__mock/journal" in r.url and "api=stagerai" in r.url):
        pass  # one more poll: the stale answer has long been handled
    expect(page.locator("#journal tr.entry", has_text="/api/v1/")).to_have_count(0)
    expect(page.locator("#journal tr.entry", has_text="createProject")).to_have_count(1)


def test_job_metadata_with_markup_shows_as_text(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/job/{KEY}/{world.jobs['xss']}")
    expect(page.locator("#job-json")).to_contain_text("<script>window.__xss = 1</script>")
    page.goto(f"{world.ui}#/jobs/{KEY}")
    expect(page.locator("#jobs")).to_contain_text("MLS-2")
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 1  # app.js only
    assert page.locator("img[src=x]").count() == 0


def test_stager_ai_groups_brackets_merge_and_edits(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{world.ui}#/stager/{STAGER_KEY}")
    group = page.locator(f".group[data-id={world.group_id}]")
    expect(group.locator(".badge").first).to_have_text("completed")
    expect(group).to_contain_text("lens correction on")
    expect(group).to_contain_text("photographer removal off")
    assert images_loaded(page, ".group img.bracket", at_least=len(BRACKETS)) == len(BRACKETS)
    images_loaded(page, ".group img.merged")
    image = page.locator(f".image[data-id={world.image_id}]")
    expect(image.locator("figure.edit")).to_have_count(1)
    expect(image).to_contain_text("sky-replace")
    images_loaded(page, ".image img.thumb", at_least=2)
    assert not [e for e in world.server.journal()
                if e["method"] == "GET" and e["path"].startswith(("/files/", "/gcs/"))]
    screenshot(page, "stager.png", full_page=True)


FAULT_KEY = "sk_test_dashboard_faults"
HOOK_KEY = "sk_test_dashboard_hooks"


def test_faults_page_lists_rules_with_hits_and_removes_them(world: World, page: Any) -> None:
    from playwright.sync_api import expect

    url = world.server.url
    sp = httpx.Client(base_url=f"{url}/api/v1",
                      headers={"Authorization": f"Bearer {FAULT_KEY}"}, timeout=30)

    def add(rule: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(f"{url}/__mock/faults", json=rule)
        assert r.status_code == 201, r.text
        return r.json()

    try:
        error = add({"api": "stagepro", "operation": "listJobs", "api_key": FAULT_KEY,
                     "action": "error", "status": 503, "retry_after": 7})
        lost = add({"api": "stagepro", "operation": "createJob", "api_key": FAULT_KEY,
                    "action": "lose_response", "lost_as": "reset"})
        slow = add({"api": "stagerai", "api_key": "stager_test_nobody", "action": "delay",
                    "delay_ms": 5, "times": None, "after": 2, "probability": 0.5})
        page.goto(f"{world.ui}#/faults")
        expect(page.locator("#faults tr.fault")).to_have_count(3)
        expect(page.locator("#rate-limit")).to_contain_text("off")
        row = page.locator(f"#faults tr.fault[data-id={error['id']}]")
        expect(row).to_contain_text("StagePro")
        expect(row).to_contain_text("listJobs")
        expect(row).to_contain_text("sk_test_…ults")
        expect(row).to_contain_text("error 503 · Retry-After 7 s")
        expect(row.locator("td.hits")).to_have_text("0")
        expect(row.locator("td.remaining")).to_have_text("1")
        lost_row = page.locator(f"#faults tr.fault[data-id={lost['id']}]")
        expect(lost_row).to_contain_text("lose_response → connection dropped")
        slow_row = page.locator(f"#faults tr.fault[data-id={slow['id']}]")
        expect(slow_row).to_contain_text("every operation")
        expect(slow_row).to_contain_text("delay 5 ms")
        expect(slow_row).to_contain_text("after 2 calls · every call until removed · probability 50%")
        expect(slow_row.locator("td.remaining")).to_have_text("∞")
        assert FAULT_KEY not in page.locator("#faults").inner_text()  # keys are masked

        # the rules fire; the page follows without a reload
        page.evaluate("window.__same_document = true")
        assert sp.get("/jobs").status_code == 503
        with pytest.raises(httpx.TransportError):
            sp.post("/jobs", json={"type": "edit",
                                   "input": {"image_url": "https://example.com/lost.jpg"}})
        expect(row.locator("td.hits")).to_have_text("1")
        expect(row.locator("td.remaining")).to_have_text("0")
        expect(lost_row.locator("td.hits")).to_have_text("1")
        assert page.evaluate("window.__same_document") is True
        screenshot(page, "faults.png", full_page=True)

        # the journal marks the injected answers, never as the mock breaking its spec
        page.goto(f"{world.ui}#/journal?key={FAULT_KEY}")
        injected = page.locator("#journal tr.entry.injected")
        expect(injected).to_have_count(2)
        listed = injected.filter(has_text="listJobs")
        expect(listed).to_contain_text(f"fault {error['id']} · error")
        expect(listed).to_contain_text("503")
        expect(listed).to_contain_text("Retry-After 7 s")
        expect(listed).to_contain_text("conformant")
        created = injected.filter(has_text="createJob")
        expect(created).to_contain_text("no response")
        expect(created).to_contain_text(f"fault {lost['id']} · lose_response")
        expect(created).to_contain_text("lost answer: 202")
        expect(created).to_contain_text("created job_")
        expect(page.locator("#journal tr.entry.injected.bad")).to_have_count(0)
        expect(page.locator("#journal .badge.bad")).to_have_count(0)
        screenshot(page, "journal-faults.png")
        page.select_option("#filter-conformance", "bad")
        expect(page.locator("#journal tr.entry")).to_have_count(0)

        # remove one rule, then the rest (asked first)
        page.goto(f"{world.ui}#/faults")
        row.get_by_role("button", name="Remove").click()
        expect(row).to_have_count(0)
        expect(page.locator("#faults tr.fault")).to_have_count(2)
        assert [r["id"] for r in httpx.get(f"{url}/__mock/faults").json()["data"]] == [
            lost["id"], slow["id"]]
        messages: list[str] = []
        page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
        page.get_by_role("button", name="Remove all").click()
        expect(page.locator("#faults")).to_have_count(0)
        expect(page.locator("#content")).to_contain_text("No fault rule")
        assert messages and "Remove all 2 fault rules" in messages[0]
        assert httpx.get(f"{url}/__mock/faults").json()["data"] == []
    finally:
        httpx.delete(f"{url}/__mock/faults")


def test_a_faults_poll_answered_after_a_remove_never_draws_the_rule_again(
    world: World, page: Any
) -> None:
    """A poll of the rules sent before a remove, answered after it: the removed rule must not
    come back on the page."""
    from playwright.sync_api import expect

    url = world.server.url
    rule = world.server.admin("POST", "faults", json={
        "api": "stagepro", "operation": "getJob", "api_key": FAULT_KEY, "action": "reset"}).json()
    held: list[Any] = []
    armed = [False]

    def hold(route: Any) -> None:
        if armed[0] and not held and route.request.method == "GET":
            held.append((route, route.fetch()))  # the server's answer now, delivered later
            return
        route.continue_()

    try:
        page.route("**/__mock/faults", hold)
        page.goto(f"{world.ui}#/faults")
        row = page.locator(f"#faults tr.fault[data-id={rule['id']}]")
        expect(row).to_have_count(1)
        armed[0] = True
        # the next poll is in flight, unanswered
        wait_for(lambda: held, what="the held faults poll", pause=_pump(page))
        row.get_by_role("button", name="Remove").click()
        expect(page.locator("#content")).to_contain_text("No fault rule")
        page.evaluate("""id => { window.__redrawn = false;
            new MutationObserver(() => { if (document.querySelector(`tr.fault[data-id="${id}"]`))
              window.__redrawn = true; }).observe(document.getElementById('content'),
              { childList: true, subtree: true }); }""", rule["id"])
        with page.expect_response(lambda r: r.url.endswith("/__mock/faults")):
            held[0][0].fulfill(response=held[0][1])  # its answer still lists the rule
        with page.expect_response(lambda r: r.url.endswith("/__mock/faults")):
            pass  # one more poll: the stale answer has long been handled
        expect(row).to_have_count(0)
        assert page.evaluate("window.__redrawn") is False  # not even for a moment
        assert httpx.get(f"{url}/__mock/faults").json()["data"] == []
    finally:
        httpx.delete(f"{url}/__mock/faults")


def test_webhook_deliveries_a_fault_duplicated_or_held_are_marked(world: World, page: Any
                                                                  ) -> None:
    from playwright.sync_api import expect

    url = world.server.url
    admin = world.server.admin
    token = admin("POST", "console-sessions", json={"api_key": HOOK_KEY}).json()["token"]
    console = httpx.Client(base_url=f"{url}/api/v1", cookies={"stagepro_session": token},
                           timeout=30)
    endpoint = console.post("/webhooks", json={"url": world.receiver.url}).json()["id"]
    wait_for(lambda: console.get("/webhooks").json()["data"][0]["status"] == "active")
    try:
        dup = admin("POST", "faults", json={"api": "webhooks", "operation": "job.completed",
                                            "api_key": HOOK_KEY, "action": "duplicate"}).json()
        held = admin("POST", "faults", json={"api": "webhooks", "operation": "job.failed",
                                             "api_key": HOOK_KEY, "action": "reorder"}).json()
        sp = httpx.Client(base_url=f"{url}/api/v1",
                          headers={"Authorization": f"Bearer {HOOK_KEY}"}, timeout=30)
        for image in ("https://example.com/hook.jpg", "https://x.test/fail-image_too_dark.jpg"):
            body = {"type": "edit", "input": {"image_url": image},
                    "webhook_endpoint_id": endpoint}
            assert sp.post("/jobs", json=body).status_code == 202

        def mine() -> list[dict[str, Any]]:
            return [d for d in admin("GET", "webhooks/deliveries").json()["data"]
                    if d["api_key"] == HOOK_KEY]

        world.server.advance(60)
        deliveries = wait_for(lambda: (lambda ds: ds if len(ds) == 3 and all(
            d["attempts"] or d["state"] == "held" for d in ds) else None)(mine()))
        completed = next(d["event_id"] for d in deliveries if d["type"] == "job.completed")
        failed = next(d["event_id"] for d in deliveries if d["type"] == "job.failed")

        page.goto(f"{world.ui}#/webhooks")
        pair = page.locator(f"#deliveries .delivery[data-event={completed}]")
        expect(pair).to_have_count(2)  # the same event, delivered twice
        twin = page.locator(f"#deliveries .delivery[data-event={completed}][data-duplicate=true]")
        expect(twin).to_contain_text(f"fault {dup['id']} · duplicate")
        expect(twin).to_contain_text("second delivery (duplicate)")
        expect(twin.locator("tr.attempt")).to_have_count(1)
        kept = page.locator(f"#deliveries .delivery[data-event={failed}]")
        expect(kept.locator(".badge.held")).to_have_text("held")
        expect(kept).to_contain_text(f"fault {held['id']} · reorder")
        expect(kept).to_contain_text("No attempt yet.")
        screenshot(page, "webhooks-faults.png", full_page=True)

        # removing the reorder rule from the faults page sends what it held
        page.goto(f"{world.ui}#/faults")
        expect(page.locator(f"#faults tr.fault[data-id={held['id']}]")).to_contain_text(
            "reorder · 1 held")
        page.locator(f"#faults tr.fault[data-id={held['id']}]").get_by_role(
            "button", name="Remove").click()
        expect(page.locator(f"#faults tr.fault[data-id={held['id']}]")).to_have_count(0)
        assert [r["id"] for r in admin("GET", "faults").json()["data"]] == [dup["id"]]
        page.goto(f"{world.ui}#/webhooks")
        expect(kept.locator("tr.attempt")).to_have_count(1)
        expect(kept).to_contain_text(f"fault {held['id']}")  # its rule is gone: id only
        expect(kept.locator(".badge.held")).to_have_count(0)
    finally:
        admin("DELETE", "faults")


def test_rate_limit_shows_on_the_faults_page_and_in_the_journal(page: Any) -> None:
    from playwright.sync_api import expect

    server = RunningServer(Settings(deterministic=True, image_workers=0,
                                    rate_limit="1/s")).start()
    try:
        sp = httpx.Client(base_url=f"{server.url}/api/v1",
                          headers={"Authorization": f"Bearer {FAULT_KEY}"}, timeout=30)
        statuses = [sp.get("/jobs").status_code for _ in range(3)]
        assert 429 in statuses, statuses
        page.goto(f"{server.url}/__mock/ui#/faults")
        expect(page.locator("#rate-limit")).to_contain_text("Rate limit: 1/s per key")
        expect(page.locator("#content")).to_contain_text("No fault rule")
        page.goto(f"{server.url}/__mock/ui#/journal")
        limited = page.locator("#journal tr.entry.injected")
        expect(limited).to_have_count(statuses.count(429))
        expect(limited.first).to_contain_text("429")
        expect(limited.first).to_contain_text("rate limit")
        expect(limited.first).to_contain_text("Retry-After")
    finally:
        server.stop()
