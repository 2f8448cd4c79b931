"""Handlers register against the spec's operationIds: ``@operation("createJob")``.

Each API has one ``Operations`` registry (in its package's ``__init__``); its handler modules
decorate their functions, and the API's binding hands the registry to the router, which
refuses to start when an operation of the spec has no handler or a handler names no operation
(``ApiBinding.check_handlers``). No hand-kept table to forget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .binding import Handler

#: A handler function, its own type kept by the decorator.
H = TypeVar("H", bound="Handler")


class Operations:
    """The handlers of one API by operationId."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.handlers: dict[str, Handler] = {}

    def __call__(self, operation_id: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            if operation_id in self.handlers:
                raise ValueError(f"{self.api}: two handlers for operation {operation_id!r}")
            self.handlers[operation_id] = handler
            return handler

        return register
