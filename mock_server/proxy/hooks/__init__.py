"""The proxy's hooks, as mitmproxy's addons: everything the proxy does with an exchange beyond
relaying it (the journal, the verdicts, the lifecycle judgement, the recording, HAR) is a
``Hook`` called on the exchange's ``ProxyFlow``.

The events, in the order each exchange meets them:

- ``request(flow)``: the request's head has arrived and its operation is matched; its body is
  not relayed yet (a hook may ask for the bodies to be spooled: ``flow.spool_dir``).
- ``response(flow)``: the exchange is over (the upstream's answer relayed, or the proxy's own
  502/504, or the client gone): hooks that judge it (verdicts, lifecycle) do so here.
- ``done(flow)``: after every hook's ``response``: hooks that keep or count the exchange
  (journal, recording) read the judgements here.

A hook may also contribute a section to ``GET /__mock/health`` (``health``: its ``name``
under ``hooks``).

Where hooks come from: every module of this package is imported by name when a proxy starts
(``default_hooks``); the ``@register``-ed classes in it are built from the proxy's options
(``Hook.build``: ``None`` keeps a hook out, e.g. the recorder when not recording) and called
in their ``order``. Adding a hook is adding one module here. ``Proxy(..., hooks=[...])`` adds
hooks of a caller's own after these.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from ...jsontypes import JsonObject
from ..flow import Exchange
from ..verdicts import OperationRules, SpecIndex


@dataclass
class ProxyFlow(Exchange):
    """One exchange as the proxy's hooks see it: the relayed request and response
    (``Exchange``) plus the spec's operation and what the hooks found."""

    #: the spec's operation (``None``: no operation of the spec matches) and path parameters
    rules: OperationRules | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    #: the status the client was answered: the upstream's, the proxy's own 502/504, or 499
    #: (nginx's "client closed request") when the client left before its body was sent
    client_status: int | None = None
    #: set by a ``request`` hook that keeps the bodies whole (the recorder): where to spool them
    spool_dir: str | None = None
    #: the verdicts (``[]``: conformant, or not judged) and notes about what was not judged
    request_violations: list[JsonObject] = field(default_factory=list)
    response_violations: list[JsonObject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: what a hook keeps for itself between events (the journal: its entry), by hook name
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ProxyOptions:
    """What the proxy was started with, as hooks are built from it."""

    api: str
    upstream: str
    base_path: str
    index: SpecIndex
    record: Path | None = None
    journal_size: int = 10_000


class Hook:
    """One hook: override the events it needs (the others cost nothing: the proxy calls only
    overridden ones)."""

    #: its section's name in ``/__mock/health``'s ``hooks`` (and its ``metadata`` key)
    name: ClassVar[str] = ""
    #: default hooks are called in this order (lower first), for every event
    order: ClassVar[int] = 100

    @classmethod
    def build(cls, options: ProxyOptions) -> Hook | None:
        """The hook for a proxy started with ``options``; ``None``: not wanted."""
        return cls()

    def request(self, flow: ProxyFlow) -> None:
        """The request's head arrived (its body not relayed yet)."""

    def response(self, flow: ProxyFlow) -> None:
        """The exchange is over: judge it."""

    def done(self, flow: ProxyFlow) -> None:
        """Every hook has judged the exchange: keep or count it."""

    def health(self) -> JsonObject | None:
        """A section for ``GET /__mock/health`` (``None``: none)."""
        return None


_REGISTERED: dict[str, type[Hook]] = {}
HookT = TypeVar("HookT", bound=type[Hook])


def register(cls: HookT) -> HookT:
    """Class decorator: a default hook of every proxy (built by its ``build``)."""
    if not cls.name:
        raise TypeError(f"{cls.__qualname__}: a registered hook needs a name")
    _REGISTERED[cls.name] = cls
    return cls


def default_hooks(options: ProxyOptions) -> list[Hook]:
    """Every registered hook of this package's modules, built for ``options``, in order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    ordered = sorted(_REGISTERED.values(), key=lambda c: (c.order, c.name))
    return [hook for cls in ordered if (hook := cls.build(options)) is not None]


def overriding(hooks: list[Hook], event: str) -> list[Hook]:
    """The hooks that override ``event`` (the others are not called)."""
    return [h for h in hooks if getattr(type(h), event) is not getattr(Hook, event)]
