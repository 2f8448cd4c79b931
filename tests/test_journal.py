from mock_server.journal import Journal


def test_journal_is_a_bounded_ring():
    journal = Journal(capacity=3)
    for i in range(5):
        journal.open(0.0, "GET", f"/p{i}", "")
    entries = journal.entries()
    assert [e.path for e in entries] == ["/p2", "/p3", "/p4"]
    assert journal.total == 5 and journal.dropped == 2


def test_journal_filters_by_key_and_conformance():
    journal = Journal(capacity=10)
    a = journal.open(0.0, "GET", "/a", "")
    a.api_key = "k1"
    b = journal.open(0.0, "GET", "/b", "")
    b.api_key = "k2"
    b.conformant = False
    assert [e.path for e in journal.entries(api_key="k1")] == ["/a"]
    assert [e.path for e in journal.entries(nonconformant_only=True)] == ["/b"]
    journal.clear("k1")
    assert [e.path for e in journal.entries()] == ["/b"]


def test_dropped_counts_only_what_fell_off_the_ring():
    """Clearing the journal (all, or one key's entries, or a key's reset) drops nothing."""
    import httpx

    from mock_server.settings import Settings
    from mock_server.testing import RunningServer

    with RunningServer(Settings(deterministic=True, journal_size=4, image_workers=0)) as srv, \
            httpx.Client(base_url=srv.url, timeout=30) as c:
        def get(key):
            assert c.get("/api/v1/capabilities", headers={"Authorization": f"Bearer {key}"}).status_code == 200

        def journal():
            return c.get("/__mock/journal").json()

        for _ in range(3):
            get("sk_test_drop_a")
        assert c.delete("/__mock/journal").status_code in (200, 204)
        assert journal()["dropped"] == 0
        get("sk_test_drop_a")
        get("sk_test_drop_b")
        assert c.delete("/__mock/journal", params={"api_key": "sk_test_drop_a"}).status_code in (200, 204)
        assert c.post("/__mock/reset", json={"api_key": "sk_test_drop_b"}).status_code == 200
        body = journal()
        assert body["dropped"] == 0 and body["entries"] == [], body
        for _ in range(6):  # 4 fit, 2 fall off
            get("sk_test_drop_a")
        body = journal()
        assert body["dropped"] == 2 and len(body["entries"]) == 4 and body["total"] == 11, body


def test_refused_keys_are_journaled_as_sent(http, stagemock_server):
    """Unknown, malformed and revoked keys are found by ?api_key= (both APIs)."""
    sent = [
        ("/api/v1/capabilities", {"Authorization": "Bearer sk_live_nobody_here"}),
        ("/api/v1/capabilities", {"Authorization": "Bearer sk_live_mock_revoked"}),
        ("/api/v1/capabilities", {"Authorization": "Bearer not_a_key_at_all"}),
        ("/api/hdr-image-group/group_x", {"stager-api-key": "stager_live_nobody_here"}),
    ]
    before = http.get("/__mock/journal").json()["total"]
    for path, headers in sent:
        assert http.get(path, headers=headers).status_code == 401
    for _path, headers in sent:
        key = next(iter(headers.values())).removeprefix("Bearer ")
        entries = http.get("/__mock/journal", params={"api_key": key, "since": before}).json()["entries"]
        assert len(entries) == 1 and entries[0]["status"] == 401 and entries[0]["api_key"] == key, entries
    assert [e["seq"] for e in http.get("/__mock/journal", params={"since": before}).json()["entries"]][:4] == [
        before + 1, before + 2, before + 3, before + 4]


def test_requests_no_operation_answers_are_journaled_with_the_key_sent(http, stagemock_server):
    """A path no operation matches (404) or a method its path does not allow (405) is a
    spec violation of the client that sent it: journaled with the key as sent, so ?api_key=
    (and so the plugin's per-test violations(), journal-report --api-key) finds it."""
    sent = [
        ("GET", "/api/v1/agent/sessions/ags_x", {"Authorization": "Bearer sk_test_lost"}, 404),
        ("DELETE", "/api/v1/jobs", {"Authorization": "Bearer sk_test_lost_method"}, 405),
        ("GET", "/api/v1/nowhere", {"Cookie": "stagepro_session=cs_unknown"}, 404),
        ("GET", "/api/projects", {"stager-api-key": "stager_test_lost"}, 405),
        ("GET", "/api/nowhere", {"stager-api-key": "stager_test_lost_path"}, 404),
    ]
    before = http.get("/__mock/journal").json()["total"]
    for method, path, headers, status in sent:
        assert http.request(method, path, headers=headers).status_code == status
    for _method, path, headers, status in sent[:2] + sent[3:]:
        key = next(iter(headers.values())).removeprefix("Bearer ")
        entries = http.get("/__mock/journal", params={"api_key": key, "since": before}).json()["entries"]
        assert [(e["path"], e["status"], e["conformant"]) for e in entries] == [
            (path, status, False)], entries
    unkeyed = http.get("/__mock/journal", params={"since": before}).json()["entries"][2]
    assert unkeyed["path"] == "/api/v1/nowhere" and unkeyed["api_key"] is None
