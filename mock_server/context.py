"""The services of one app instance, built from ``Settings`` by ``create_app``: clock, ids,
journal, blob store and the API backends. Passed to handlers; no module-level state."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from contextlib import suppress
from typing import TYPE_CHECKING

import yaml

from .core.blobs import BlobStore
from .core.clock import Clock, VirtualClock, WallClock
from .core.ids import IdGenerator
from .core.precompute import Precomputer, process_pool
from .errors import ApiError
from .faults.layer import FaultLayer
from .faults.models import FaultRule, RateLimit, parse_spec
from .faults.validation import RuleSchema
from .journal import Journal
from .jsontypes import JsonObject
from .settings import VIRTUAL_EPOCH, Settings

if TYPE_CHECKING:
    from .backend import Backend, Component
    from .gc_policy import GcPolicy
    from .stagepro.backend import StageProBackend
    from .stagerai.backend import StagerAIBackend
    from .webhooks.dispatcher import WebhookHub


#: Longest wait for one batch of image work before it is collected on the spot.
WORK_TIMEOUT = 60.0
#: Most steps of one ``catch_up`` (then the rest happens in one go).
MAX_STEPS = 100_000


class AppContext:
    #: set by ``register_apis`` (``create_app``)
    stagepro: StageProBackend
    stagerai: StagerAIBackend

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Clock = (
            VirtualClock(VIRTUAL_EPOCH) if settings.deterministic else WallClock()
        )
        self.ids = IdGenerator(settings.seed)
        #: ``fixtures/accounts.yaml``, read once: each API takes its own section.
        self.fixture_accounts: JsonObject = yaml.safe_load(
            (settings.fixtures_dir / "accounts.yaml").read_text()
        ) or {}
        self.journal = Journal(settings.journal_size)
        self.blobs = BlobStore()
        self.backends: dict[str, Backend] = {}
        #: Everything ticked, reset and closed with the app, in the order ``create_app``
        #: declared it (the backends, then StagePro's webhook hub, which delivers what their
        #: ticks publish).
        self.components: list[Component] = []
        self._ticker: asyncio.Task[None] | None = None
        self.background_tasks: set[asyncio.Task[object]] = set()
        self.gc_policy: GcPolicy | None = None
        self._time_lock = asyncio.Lock()
        #: Image work (output renders, HDR merges) started ahead in worker processes.
        self.precompute = Precomputer(
            process_pool(settings.image_workers) if settings.image_workers > 0 else None
        )
        #: Fault rules and the rate limit (``mock_server.faults``): which names a rule may
        #: give is learnt from each API's spec (``learn_operations``).
        self.faults = FaultLayer(
            settings.seed,
            RateLimit.parse(settings.rate_limit) if settings.rate_limit else None,
            self.clock,
        )
        #: What every dispatcher runs its operation through (``spec.dispatch.Stage``): the
        #: faults layer.
        self.stage = self.faults
        #: ``openapi/admin.yaml``'s ``FaultInput``: every rule, from any surface, passes it.
        self.fault_schema = RuleSchema.load(settings.openapi_dir / "admin.yaml")
        self.clock.subscribe(self.tick)

    def register(self, backend: Backend) -> None:
        """An API: its routes are built from it, and it is a component."""
        self.backends[backend.name] = backend
        self.components.append(backend)

    def add(self, component: Component) -> None:
        """A component that serves no API of its own (the webhook hub)."""
        self.components.append(component)

    def register_apis(self, stagepro: StageProBackend, stagerai: StagerAIBackend) -> None:
        """The two APIs, registered and kept typed: handlers reach their own backend as
        ``ctx.stagepro`` / ``ctx.stagerai``, never by name."""
        self.stagepro = stagepro
        self.stagerai = stagerai
        self.register(stagepro)
        self.register(stagerai)

    @property
    def webhooks(self) -> WebhookHub:
        """StagePro's webhook endpoints and signed deliveries."""
        return self.stagepro.webhooks

    def learn_operations(self, api: str, names: set[str]) -> None:
        """The operationIds (event types for ``webhooks``) fault rules of ``api`` may name."""
        self.faults.operations.setdefault(api, set()).update(names)

    def add_fault(self, body: JsonObject) -> FaultRule:
        """A rule from any surface (``POST /__mock/faults``, and through it the plugin's
        ``fault()`` and MCP's ``inject_fault``; ``--fault``): checked against ``FaultInput``
        (a ``ValidationFailed`` naming the field), then added."""
        self.fault_schema.check(body)
        key = body.get("api_key")
        return self.faults.add(self.ids.new("flt", f"faults\x00{key or ''}"), body)

    def add_startup_faults(self) -> None:
        """``--fault`` rules (again after a full reset); a bad one raises ``ValueError``
        naming it."""
        for text in self.settings.faults:
            try:
                self.add_fault(parse_spec(text))
            except ApiError as err:
                raise ValueError(f"--fault {text!r}: {err.message}") from None

    def remove_faults(self, rules: list[FaultRule]) -> None:
        """Rules taken away: a reorder releases what it held."""
        for rule in rules:
            if rule.held:
                self.webhooks.release(rule)

    def backend_for_key(self, api_key: str) -> Backend | None:
        for backend in self.backends.values():
            if backend.owns_key(api_key):
                return backend
        return None

    def tick(self, now: float | None = None) -> None:
        now = self.clock.now() if now is None else now
        for component in self.components:
            component.tick(now)

    def reset(self, api_key: str | None = None) -> bool:
        if api_key is None:
            self.clock.reset()  # as freshly started: no offset (either clock)
            self.ids.reset()
            self.journal.restart()  # seq counts from 1 again
            self.blobs.drop_owner(None)
            for component in self.components:
                component.reset(None)
            self.faults.clear()
            self.add_startup_faults()
            return True
        found = False
        for component in self.components:
            found = component.reset(api_key) or found
        self.faults.clear(api_key)
        self.ids.reset(api_key)
        self.ids.reset(f"faults\x00{api_key}")
        self.journal.clear(api_key)
        self.blobs.drop_owner(api_key)
        return found

    def spawn(self, coro: Coroutine[object, object, object]) -> None:
        """Run ``coro`` in the background (webhook deliveries) without losing a reference."""
        task = asyncio.get_running_loop().create_task(coro)
        self.background_tasks.add(task)
        task.add_done_callback(self.background_tasks.discard)

    async def start(self) -> None:
        if not self.settings.deterministic:
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())
        # Image workers start in a helper thread, never on the event loop.
        self.spawn(asyncio.to_thread(self.precompute.warm))
        if self.settings.manage_gc:
            from .gc_policy import GcPolicy

            self.gc_policy = GcPolicy(lambda: self.journal.total)
            self.gc_policy.install()
            self.spawn(self.gc_policy.run())

    async def stop(self) -> None:
        if self.gc_policy is not None:
            self.gc_policy.uninstall()
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
        for task in list(self.background_tasks):
            task.cancel()
        for task in list(self.background_tasks):
            with suppress(asyncio.CancelledError, Exception):
                await task
        self.precompute.shutdown()
        for component in self.components:
            with suppress(Exception):
                await component.close()

    async def await_work(self, futures: Sequence[Future[object]]) -> None:
        """Wait, without blocking the event loop, for image work running in the workers (at
        most ``WORK_TIMEOUT``: past that the state machine collects it on the spot)."""
        await asyncio.wait([asyncio.wrap_future(f) for f in futures], timeout=WORK_TIMEOUT)

    async def settle(self, until: float) -> None:
        """Wait for all image work whose results are needed by ``until``."""
        due = [f for backend in self.backends.values() for f in backend.due_work(until)]
        if due:
            await self.await_work(due)

    async def catch_up(self, target: float, move: Callable[[float], None]) -> None:
        """Serialised: two moves of time never interleave (``_catch_up``)."""
        async with self._time_lock:
            await self._catch_up(target, move)

    async def _catch_up(self, target: float, move: Callable[[float], None]) -> None:
        """Bring time-based state to ``target`` event by event: ``move(t)`` makes everything
        due by ``t`` happen. Before each step the image work it needs is awaited (the event
        loop stays free), and a job picked up during a long jump gets its render started at
        its pick-up, so no render ever runs on the event loop. Advancing in steps gives the
        same state as one jump (the scheduler replays event by event either way)."""
        start = min(self.clock.now(), target)
        await self.settle(start)
        move(start)  # makes every scheduler's next event exact
        if start >= target:  # the wall-clock ticker: already there
            return
        # Work started at a step is needed ``job_seconds`` later at the earliest: only events
        # that early enough need a step of their own (the wall-clock ticker's 0.25 s moves
        # take none).
        lead = self.settings.job_seconds
        for _ in range(MAX_STEPS):
            upcoming = min((b.next_event() for b in self.backends.values()), default=math.inf)
            if upcoming + lead > target:
                break
            await self.settle(upcoming)
            move(upcoming)
        await self.settle(target)
        move(target)

    async def advance_clock(self, seconds: float) -> None:
        """``POST /__mock/clock/advance``: move the clock in steps (see ``catch_up``); it
        ends on exactly the offset one jump gives."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        async with self._time_lock:  # read the offset only once other moves have finished
            clock = self.clock
            final = clock.offset + seconds
            base = clock.now() - clock.offset
            target = base + final

            def move(t: float) -> None:
                clock.set_offset(final if t >= target else min(final, t - base))

            await self._catch_up(target, move)

    async def _tick_forever(self) -> None:
        """Wall-clock mode: move time-based state along even when nobody polls."""
        while True:
            await asyncio.sleep(0.25)
            await self.catch_up(self.clock.now(), self.tick)
