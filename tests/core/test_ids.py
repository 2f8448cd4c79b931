from hypothesis import given
from hypothesis import strategies as st

from mock_server.core.ids import IdGenerator


def test_same_seed_same_sequence():
    a, b = IdGenerator(7), IdGenerator(7)
    assert [a.new("job", "k") for _ in range(5)] == [b.new("job", "k") for _ in range(5)]


def test_other_seed_other_ids():
    assert IdGenerator(1).new("job", "k") != IdGenerator(2).new("job", "k")


def test_namespaces_count_independently():
    """One account's ids do not depend on what other accounts did in between."""
    a, b = IdGenerator(0), IdGenerator(0)
    a.new("job", "other")
    a.new("job", "other")
    assert a.new("job", "mine") == b.new("job", "mine")


def test_reset_namespace_restarts_its_sequence():
    gen = IdGenerator(0)
    first = gen.new("job", "k")
    gen.reset("k")
    assert gen.new("job", "k") == first


@given(st.integers(min_value=0, max_value=2**31), st.text(min_size=1, max_size=20))
def test_ids_are_unique_and_well_formed(seed, namespace):
    gen = IdGenerator(seed)
    ids = [gen.new("job", namespace) for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(i.startswith("job_") and len(i) == 24 and i[4:].isalnum() for i in ids)
