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
