import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.core.lifecycle import (
    COMPLETED,
    FAILED,
    PROCESSING,
    QUEUED,
    Finished,
    IllegalTransition,
    Processing,
    Queued,
    Scheduler,
    Task,
)


def test_status_only_moves_forward():
    t = Task("job_1", created_at=0, duration=3)
    t.move(PROCESSING, 1)
    t.move(COMPLETED, 4)
    for to in (QUEUED, PROCESSING, FAILED, COMPLETED):
        with pytest.raises(IllegalTransition):
            t.move(to, 5)


def test_each_state_holds_what_its_status_has():
    t = Task("job_1", created_at=0, duration=3)
    assert isinstance(t.state, Queued) and (t.started_at, t.finished_at) == (None, None)
    t.move(PROCESSING, 1)
    assert t.state == Processing(started_at=1, finishes_at=4) and t.status == PROCESSING
    assert t.finished_at is None
    t.move(FAILED, 4)
    assert t.state == Finished(FAILED, started_at=1, finished_at=4)
    assert (t.status, t.started_at, t.finished_at) == (FAILED, 1, 4)


def test_queued_cannot_jump_to_completed():
    with pytest.raises(IllegalTransition):
        Task("job_1", 0, 3).move(COMPLETED, 1)


def test_a_job_is_picked_up_then_finishes():
    s = Scheduler(capacity=2, pickup_seconds=1)
    t = s.add(Task("a", created_at=0, duration=3))
    assert s.advance(0.5) == [] and t.status == QUEUED
    assert [(x.status, x.at) for x in s.advance(1)] == [(PROCESSING, 1)]
    assert [(x.status, x.at) for x in s.advance(100)] == [(COMPLETED, 4)]
    assert (t.started_at, t.finished_at) == (1, 4)


def test_failed_outcome_is_revealed_at_the_end():
    s = Scheduler(capacity=2)
    t = s.add(Task("a", 0, 3, outcome=FAILED))
    s.advance(2)
    assert t.status == PROCESSING
    s.advance(10)
    assert t.status == FAILED


def test_jobs_beyond_capacity_wait_in_queued():
    s = Scheduler(capacity=2, pickup_seconds=1)
    tasks = [s.add(Task(f"j{i}", 0, 10)) for i in range(5)]
    s.advance(5)
    assert [t.status for t in tasks] == [PROCESSING, PROCESSING, QUEUED, QUEUED, QUEUED]
    s.advance(11)
    assert [t.status for t in tasks] == [COMPLETED, COMPLETED, PROCESSING, PROCESSING, QUEUED]
    assert tasks[2].started_at == 11


def _run(jobs, capacity, steps):
    s = Scheduler(capacity=capacity, pickup_seconds=1)
    tasks = [s.add(Task(f"j{i}", created, duration)) for i, (created, duration) in enumerate(jobs)]
    for now in steps:
        s.advance(now)
    return tasks


jobs_strategy = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 15)), min_size=1, max_size=12
).map(lambda js: sorted(js))


@settings(max_examples=150, deadline=None)
@given(jobs=jobs_strategy, capacity=st.integers(2, 5), end=st.integers(0, 120))
def test_one_big_advance_equals_many_small_ones(jobs, capacity, end):
    big = _run(jobs, capacity, [end])
    small = _run(jobs, capacity, range(0, end + 1))
    assert [(t.status, t.started_at, t.finished_at) for t in big] == [
        (t.status, t.started_at, t.finished_at) for t in small
    ]


@settings(max_examples=150, deadline=None)
@given(jobs=jobs_strategy, capacity=st.integers(2, 5))
def test_concurrency_never_exceeds_capacity_and_all_finish(jobs, capacity):
    tasks = _run(jobs, capacity, [10_000])
    assert all(t.status == COMPLETED for t in tasks)
    events = sorted(
        [(t.started_at, 1) for t in tasks] + [(t.finished_at, -1) for t in tasks],
        key=lambda e: (e[0], e[1]),
    )
    running = 0
    for _, delta in events:
        running += delta
        assert running <= capacity
    for t in tasks:
        assert t.created_at + 1 <= t.started_at <= t.finished_at


def test_fifo_order_of_pickup():
    tasks = _run([(0, 5), (0, 5), (1, 5)], 2, [100])
    assert tasks[2].started_at == 6  # after the first finish at 6
    snapshot = copy.deepcopy(tasks)
    assert snapshot[0].started_at == 1
