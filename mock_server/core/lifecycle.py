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

from dataclasses import dataclass, field

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
STATUSES = (QUEUED, PROCESSING, COMPLETED, FAILED)
TERMINAL = frozenset({COMPLETED, FAILED})
_NEXT = {QUEUED: {PROCESSING}, PROCESSING: {COMPLETED, FAILED}, COMPLETED: set(), FAILED: set()}


class IllegalTransition(Exception):
    pass


@dataclass
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
    """One account's queue. ``capacity`` is the plan's parallel-job limit (2–20)."""

    capacity: int
    pickup_seconds: float = 1.0
    tasks: list[Task] = field(default_factory=list)
    _seq: int = 0

    def add(self, task: Task) -> Task:
        self._seq += 1
        task.seq = self._seq
        self.tasks.append(task)
        return task

    @property
    def processing(self) -> list[Task]:
        return [t for t in self.tasks if t.status == PROCESSING]

    def advance(self, now: float) -> list[Transition]:
        """Make everything due by ``now`` happen; return the transitions in order."""
        out: list[Transition] = []
        active = [t for t in self.tasks if t.status not in TERMINAL]
        if not active:
            return out
        while True:
            running = [t for t in active if t.status == PROCESSING]
            waiting = sorted(
                (t for t in active if t.status == QUEUED), key=lambda t: (t.created_at, t.seq)
            )
            finish = min(
                (t.started_at + t.duration for t in running if t.started_at is not None),
                default=None,
            )
            start = None
            if waiting and len(running) < self.capacity:
                start = waiting[0].created_at + self.pickup_seconds
                if finish is not None and finish < start:
                    start = None
            candidates = [x for x in (finish, start) if x is not None]
            if running and len(running) >= self.capacity and waiting:
                # No slot: the next event is a finish, after which a waiting task may start.
                candidates = [finish] if finish is not None else []
            if not candidates:
                break
            at = min(candidates)
            if at > now:
                break
            # Finishes first (they free slots), then pick-ups at the same instant.
            for t in sorted(running, key=lambda t: (t.started_at + t.duration, t.seq)):
                if t.started_at + t.duration <= at:
                    t.move(t.outcome, t.started_at + t.duration)
                    out.append(Transition(t, t.status, t.finished_at))
            slots = self.capacity - sum(1 for t in active if t.status == PROCESSING)
            for t in waiting:
                if slots <= 0:
                    break
                ready = t.created_at + self.pickup_seconds
                if ready <= at:
                    t.move(PROCESSING, at)
                    out.append(Transition(t, PROCESSING, at))
                    slots -= 1
            active = [t for t in active if t.status not in TERMINAL]
            if not active:
                break
        return out

    def forget(self, ids: set[str]) -> None:
        self.tasks = [t for t in self.tasks if t.id not in ids]
