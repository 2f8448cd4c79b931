"""The lifecycle hook: an object's second unlisted status across the session makes the guess
on it a documented finding (``proxy.lifecycle.Lifecycles``). Runs after the verdicts hook,
whose response violations it upgrades in place."""

from __future__ import annotations

import orjson

from ..lifecycle import STATUS_FIELDS, Lifecycles, object_key
from ..verdicts import SpecIndex
from . import Hook, ProxyFlow, ProxyOptions, register


@register
class LifecycleHook(Hook):
    name = "lifecycle"
    order = 30

    def __init__(self, index: SpecIndex) -> None:
        self.index = index
        self.lifecycles = Lifecycles()

    @classmethod
    def build(cls, options: ProxyOptions) -> LifecycleHook:
        return cls(options.index)

    def response(self, flow: ProxyFlow) -> None:
        violations, rules, resp = flow.response_violations, flow.rules, flow.response
        if rules is None or resp is None or not any(v.get("field") in STATUS_FIELDS
                                                    for v in violations):
            return
        try:
            body = orjson.loads(resp.body) if resp.body else None
        except orjson.JSONDecodeError:
            return
        schema = self.index.success_schema(rules)
        source = self.index.book.listed_source(schema, "status") if schema else None
        self.lifecycles.see(object_key(flow.method, flow.path, body), body, violations, source)
