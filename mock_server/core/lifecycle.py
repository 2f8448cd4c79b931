"""The job state machine and the scheduler, pure: no I/O, time passed in.

Status is exactly one of ``queued``, ``processing``, ``completed``, ``failed`` and only moves
forward: queued → processing → completed | failed.

``Scheduler.advance(now)`` replays, in time order, everything that happened up to ``now``: a
queued task is picked up ``pickup_seconds`` after it was created, as soon as fewer than
``capacity`` tasks are processing (FIFO by creation); it finishes ``duration`` seconds after it
started. Tasks beyond the capacity wait in ``queued``; they are never rejected. Because the
replay is event by event, advancing the clock by 100 s at once gives exactly the same
timestamps as advancing it second by second.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})
_NEXT = {QUEUED: {PROCESSING}, PROCESSING: {COMPLETED, FAILED}, COMPLETED: set(), FAILED: set()}


class IllegalTransition(Exception):
    pass


@dataclass(slots=True)  # one per job
class Task:
    """The lifecycle part of a job. ``outcome`` is decided at creation (magic inputs), so the
    replay is deterministic; it is only revealed when the task finishes."""

    id: str
    created_at: float
    duration: float
    outcome: str = COMPLETED  # COMPLETED | FAILED
    status: str = QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    seq: int = 0

    def move(self, to: str, at: float) -> None:
        if to not in _NEXT[self.status]:
            raise IllegalTransition(f"{self.id}: {self.status} → {to} is not allowed")
        self.status = to
        if to == PROCESSING:
            self.started_at = at
        else:
            self.finished_at = at


@dataclass(frozen=True)
class Transition:
    task: Task
    status: str
    at: float


@dataclass
class Scheduler:
    """One account's queue. ``capacity`` is the plan's parallel-job limit (2–20).

    Tasks are added in creation order (the clock only moves forward), so the queue is a FIFO
    deque and at most ``capacity`` tasks run: one event costs O(capacity), and a call with
    nothing due costs O(1) (``_next_event`` remembers when something can next happen)."""

    capacity: int
    pickup_seconds: float = 1.0
    tasks: list[Task] = field(default_factory=list)
    _seq: int = 0
    _queued: deque[Task] = field(default_factory=deque)
    _running: list[Task] = field(default_factory=list)
    _next_event: float = float("-inf")
    _capacity_seen: int = 0

    def add(self, task: Task) -> Task:
        self._seq += 1
        task.seq = self._seq
        self.tasks.append(task)
        self._queued.append(task)
        # A new queued task can only bring the next event forward to its own pick-up time.
        self._next_event = min(self._next_event, task.created_at + self.pickup_seconds)
        return task

    @property
    def next_event(self) -> float:
        """The earliest time something can next happen (a lower bound; exact after
        ``advance``)."""
        return self._next_event

    @property
    def running(self) -> int:
        """How many tasks are processing."""
        return len(self._running)

    def finishing_by(self, now: float) -> list[Task]:
        """The processing tasks whose finish is due by ``now``."""
        return [t for t in self._running if t.started_at + t.duration <= now]  # type: ignore[operator]

    def advance(self, now: float) -> list[Transition]:
        """Make everything due by ``now`` happen; return the transitions in order."""
        if self.capacity != self._capacity_seen:
            self._capacity_seen = self.capacity
            self._next_event = float("-inf")
        if now < self._next_event:
            return []
        out: list[Transition] = []
        queued, running = self._queued, self._running
        while True:
            finish = min((t.started_at + t.duration for t in running), default=None)  # type: ignore[operator]
            start = None
            if queued and len(running) < self.capacity:
                start = queued[0].created_at + self.pickup_seconds
            candidates = [x for x in (finish, start) if x is not None]
            if not candidates:
                self._next_event = float("inf")
                break
            at = min(candidates)
            if at > now:
                self._next_event = at
                break
            # Finishes first (they free slots), then pick-ups at the same instant.
            done = sorted(
                (t for t in running if t.started_at + t.duration <= at),  # type: ignore[operator]
                key=lambda t: (t.started_at + t.duration, t.seq),  # type: ignore[operator]
            )
            for t in done:
                running.remove(t)
                t.move(t.outcome, t.started_at + t.duration)  # type: ignore[operator]
                out.append(Transition(t, t.status, t.finished_at))  # type: ignore[arg-type]
            while queued and len(running) < self.capacity:
                if queued[0].created_at + self.pickup_seconds > at:
                    break
                t = queued.popleft()
                t.move(PROCESSING, at)
                running.append(t)
                out.append(Transition(t, PROCESSING, at))
        return out
