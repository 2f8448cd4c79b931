"""Garbage collection for a long-running server process (``stagemock serve`` only).

The mock's state is many small, long-lived, acyclic objects (jobs, tasks, journal entries).
CPython's collector would scan them again and again: as the job store grows, young-generation
passes over ever more objects stop the event loop, and those pauses become the p99 of
``POST /jobs`` under load (measurements: docs/performance.md). So:

* young passes are small (``YOUNG_THRESHOLD`` net allocations);
* after each pass, whatever survived is frozen (``gc.freeze()``: moved out of the
  collector's sight, O(1)), so the old generations never grow and never get scanned;
* the price is that a reference cycle which becomes garbage after surviving a pass waits:
  once the server has been idle for ``IDLE_SECONDS`` and enough was frozen since, everything
  is unfrozen, collected in full, and frozen again. The process is mostly acyclic, so little
  waits.

Objects in the frozen set are still freed by reference counting as usual.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("stagemock")

#: Net container allocations between two young passes.
YOUNG_THRESHOLD = 5_000
#: Quiet time (no API request) before a full collection.
IDLE_SECONDS = 2.0
#: Objects frozen since the last full collection before an idle one is worth it.
FULL_AFTER_FROZEN = 50_000


class GcPolicy:
    def __init__(
        self,
        activity: Callable[[], int],
        *,
        young_threshold: int = YOUNG_THRESHOLD,
        idle_seconds: float = IDLE_SECONDS,
        full_after_frozen: int = FULL_AFTER_FROZEN,
    ) -> None:
        #: A counter that moves whenever the server works (the journal's request total).
        self.activity = activity
        self.young_threshold = young_threshold
        self.idle_seconds = idle_seconds
        self.full_after_frozen = full_after_frozen
        self.full_collections = 0
        self.last_full_ms = 0.0
        self._frozen_at_full = 0
        self._saved: tuple[int, int, int] | None = None

    def install(self) -> None:
        """Collect and freeze what startup built, then switch to small young passes that
        freeze their survivors."""
        self._saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        self._frozen_at_full = gc.get_freeze_count()
        gc.set_threshold(self.young_threshold, 1_000_000, 1_000_000)
        gc.callbacks.append(self._after_pass)

    def uninstall(self) -> None:
        if self._after_pass in gc.callbacks:
            gc.callbacks.remove(self._after_pass)
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def _after_pass(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            gc.freeze()

    def collect_full(self) -> int:
        """Unfreeze, collect everything, freeze again; returns the objects collected."""
        start = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._frozen_at_full = gc.get_freeze_count()
        self.full_collections += 1
        self.last_full_ms = (time.perf_counter() - start) * 1000
        return found

    def due(self) -> bool:
        return gc.get_freeze_count() - self._frozen_at_full >= self.full_after_frozen

    async def run(self) -> None:
        """Full collections while the server is idle, forever (cancel to stop)."""
        seen = self.activity()
        quiet_since = time.monotonic()
        while True:
            await asyncio.sleep(self.idle_seconds / 2)
            now_seen = self.activity()
            if now_seen != seen:
                seen, quiet_since = now_seen, time.monotonic()
                continue
            if time.monotonic() - quiet_since >= self.idle_seconds and self.due():
                found = self.collect_full()
                log.debug("idle full collection: %d objects, %.0f ms", found, self.last_full_ms)
