"""The latency hook: each exchange's duration (from the request's arrival to the end of the
answer relayed, ``flow.finished``) counted into buckets, read in ``GET /__mock/health``
under ``hooks.latency``: how long the proxied API takes, without reading the whole journal
(which forgets past its capacity)."""

from __future__ import annotations

from bisect import bisect_left

from ...jsontypes import JsonObject
from . import Hook, ProxyFlow, register

#: The buckets' upper bounds, in milliseconds (a last bucket takes the rest).
BOUNDS_MS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


@register
class LatencyHistogram(Hook):
    name = "latency"
    order = 80

    def __init__(self) -> None:
        self.counts = [0] * (len(BOUNDS_MS) + 1)
        self.total_ms = 0.0

    def done(self, flow: ProxyFlow) -> None:
        ms = (flow.finished or 0.0) * 1000
        self.counts[bisect_left(BOUNDS_MS, ms)] += 1
        self.total_ms += ms

    def health(self) -> JsonObject:
        """``{"count", "mean_ms", "buckets": [{"le_ms", "count"}, ...]}``: each bucket counts
        the exchanges that took at most ``le_ms`` and more than the bucket before
        (``le_ms`` null: longer than the last bound)."""
        count = sum(self.counts)
        bounds: list[int | None] = [*BOUNDS_MS, None]
        return {"count": count,
                "mean_ms": round(self.total_ms / count, 3) if count else None,
                "buckets": [{"le_ms": le, "count": n}
                            for le, n in zip(bounds, self.counts, strict=True)]}
