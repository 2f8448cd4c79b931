import pytest

from mock_server.core.clock import VirtualClock, WallClock, iso
from mock_server.settings import VIRTUAL_EPOCH


def test_virtual_clock_starts_at_epoch_and_moves_only_when_advanced():
    clock = VirtualClock(VIRTUAL_EPOCH)
    assert iso(clock.now()) == "2026-01-01T00:00:00Z"
    assert clock.now() == clock.now()
    clock.advance(90)
    assert iso(clock.now()) == "2026-01-01T00:01:30Z"


def test_advance_notifies_listeners_with_the_new_time():
    clock = VirtualClock(VIRTUAL_EPOCH)
    seen = []
    clock.subscribe(seen.append)
    clock.advance(5)
    assert seen == [VIRTUAL_EPOCH + 5]


def test_clock_never_moves_backwards():
    clock = VirtualClock(VIRTUAL_EPOCH)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_wall_clock_adds_offset():
    clock = WallClock(source=lambda: 1000.0)
    clock.advance(10)
    assert clock.now() == 1010.0


def test_reset_returns_virtual_clock_to_start():
    clock = VirtualClock(VIRTUAL_EPOCH)
    clock.advance(100)
    clock.reset()
    assert clock.now() == VIRTUAL_EPOCH
