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
from typing import ClassVar

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})


class IllegalTransition(Exception):
    pass


@dataclass(slots=True, frozen=True)
class Queued:
    """Waiting for a free slot."""

    status: ClassVar[str] = QUEUED


@dataclass(slots=True, frozen=True)
class Processing:
    """Picked up at ``started_at``; done at ``finishes_at`` (``started_at + duration``)."""

    started_at: float
    finishes_at: float
    status: ClassVar[str] = PROCESSING


@dataclass(slots=True, frozen=True)
class Finished:
    """``completed`` or ``failed`` (``status``) at ``finished_at``."""

    status: str
    started_at: float
    finished_at: float


#: A task's state: what it holds is what its status has (a running task has a start).
State = Queued | Processing | Finished
QUEUED_STATE = Queued()


@dataclass(slots=True)  # one per job
class Task:
    """The lifecycle part of a job. ``outcome`` is decided at creation (magic inputs), so the
    replay is deterministic; it is only revealed when the task finishes."""

    id: str
    created_at: float
    duration: float
    outcome: str = COMPLETED  # COMPLETED | FAILED
    state: State = QUEUED_STATE
    seq: int = 0

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def started_at(self) -> float | None:
        state = self.state
        return None if isinstance(state, Queued) else state.started_at

    @property
    def finished_at(self) -> float | None:
        state = self.state
        return state.finished_at if isinstance(state, Finished) else None

    def start(self, at: float) -> Processing:
        """queued → processing at ``at``."""
        if not isinstance(self.state, Queued):
            raise IllegalTransition(f"{self.id}: {self.status} → {PROCESSING} is not allowed")
        state = self.state = Processing(at, at + self.duration)
        return state

    def finish(self, to: str, at: float) -> None:
        """processing → ``to`` (completed or failed) at ``at``."""
        state = self.state
        if not isinstance(state, Processing) or to not in TERMINAL:
            raise IllegalTransition(f"{self.id}: {self.status} → {to} is not allowed")
        self.state = Finished(to, state.started_at, at)

    def move(self, to: str, at: float) -> None:
        """Any transition by the target status (``start`` or ``finish``)."""
        if to == PROCESSING:
            self.start(at)
        else:
            self.finish(to, at)


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
    #: the processing tasks, each with its state (its finish time, typed)
    _running: list[tuple[Processing, Task]] = field(default_factory=list)
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
        return [t for state, t in self._running if state.finishes_at <= now]

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
            finish = min((state.finishes_at for state, _ in running), default=None)
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
                (run for run in running if run[0].finishes_at <= at),
                key=lambda run: (run[0].finishes_at, run[1].seq),
            )
            for run in done:
                running.remove(run)
                state, t = run
                t.finish(t.outcome, state.finishes_at)
                out.append(Transition(t, t.status, state.finishes_at))
            while queued and len(running) < self.capacity:
                if queued[0].created_at + self.pickup_seconds > at:
                    break
                t = queued.popleft()
                running.append((t.start(at), t))
                out.append(Transition(t, PROCESSING, at))
        return out
