"""The server's garbage-collection policy: small young passes whose survivors are frozen,
full collections only when idle."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from mock_server.gc_policy import GcPolicy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


@pytest.fixture
def policy():
    activity = {"n": 0}
    p = GcPolicy(lambda: activity["n"], young_threshold=500, idle_seconds=0.2,
                 full_after_frozen=1)
    p.activity_box = activity  # type: ignore[attr-defined]
    before = gc.get_threshold()
    p.install()
    try:
        yield p
    finally:
        p.uninstall()
        gc.unfreeze()
        assert gc.get_threshold() == before


def test_install_freezes_startup_and_sets_small_young_passes(policy):
    assert gc.get_threshold()[0] == 500
    assert gc.get_freeze_count() > 0


def test_survivors_of_a_young_pass_are_frozen(policy):
    keep = [Node() for _ in range(100)]
    frozen = gc.get_freeze_count()
    gc.collect(0)  # a young pass: the callback freezes what survived it
    assert gc.get_freeze_count() >= frozen + len(keep)
    young = {id(o) for o in gc.get_objects(0)}
    assert not any(id(n) in young for n in keep)


def test_young_garbage_cycles_are_still_collected(policy):
    ref = weakref.ref(_cycle())
    gc.collect(0)
    assert ref() is None


def test_frozen_cycle_waits_for_the_full_collection(policy):
    node = _cycle()
    ref = weakref.ref(node)
    gc.collect(0)  # the cycle survives this pass (still referenced): frozen
    del node  # now it is garbage, but out of the young passes' sight
    gc.collect(0)
    assert ref() is not None, "a frozen cycle must not be collected by young passes"
    found = policy.collect_full()
    assert ref() is None
    assert found >= 2
    assert policy.full_collections == 1


def test_full_collection_runs_when_idle_and_not_while_busy(policy):
    """The policy watches the event loop's real idle time: the sleeps here are the busy and
    idle periods under test (1.2 s in all), not waits for a result."""

    async def scenario() -> tuple[int, int]:
        task = asyncio.create_task(policy.run())
        for _ in range(6):  # busy: activity moves every 0.1 s
            policy.activity_box["n"] += 1
            _cycle()
            gc.collect(0)
            await asyncio.sleep(0.1)
        busy = policy.full_collections
        await asyncio.sleep(0.6)  # idle for longer than idle_seconds
        idle = policy.full_collections
        task.cancel()
        return busy, idle

    busy, idle = asyncio.run(scenario())
    assert busy == 0
    assert idle >= 1


def test_nothing_due_means_no_full_collection():
    p = GcPolicy(lambda: 0, full_after_frozen=10**12)
    p.install()
    try:
        assert not p.due()
    finally:
        p.uninstall()
        gc.unfreeze()
