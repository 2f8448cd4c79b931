"""Injected clocks. Every time-dependent behaviour (jobs, expiries, TTLs, webhook retries)
reads ``clock.now()``, never ``time.time()`` directly."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache


def iso(ts: float) -> str:
    """Unix seconds → ISO 8601 UTC with a ``Z`` suffix (second precision)."""
    return _iso_seconds(int(ts))


@lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    # Pure and hot (every serialised object has timestamps, mostly the same few seconds).
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """Base clock. ``advance`` moves it forward and notifies listeners."""

    mode = "abstract"

    def __init__(self) -> None:
        self._offset = 0.0
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self._move_to(self._offset + seconds)

    def set_offset(self, offset: float) -> float:
        """Move forward to exactly ``offset`` seconds past the base time (steps of a long
        advance end on the exact offset a single jump would give); never backwards."""
        return self._move_to(max(offset, self._offset))

    def _move_to(self, offset: float) -> float:
        self._offset = offset
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        return now

    def subscribe(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)

    def reset(self) -> None:
        """As at startup (a full reset): no offset; the virtual clock is back at its start,
        the wall clock at wall time."""
        self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset


class WallClock(Clock):
    """Follows wall time; ``advance`` adds an offset (handy to skip waits in a dev session)."""

    mode = "wall"

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._source = source

    def now(self) -> float:
        return self._source() + self._offset


class VirtualClock(Clock):
    """Stands still until advanced."""

    mode = "virtual"

    def __init__(self, start: float) -> None:
        super().__init__()
        self._start = start

    def now(self) -> float:
        return self._start + self._offset
