"""The latency histogram, a hook added as one module of ``mock_server.proxy.hooks``: every
exchange counted in the bucket of its duration, read in ``/__mock/health``. Over real
sockets; the bucket placement on flows of known durations."""

from __future__ import annotations

import httpx

from mock_server.proxy.app import Proxy
from mock_server.proxy.flow import Tap
from mock_server.proxy.hooks import ProxyFlow
from mock_server.proxy.hooks.latency import BOUNDS_MS, LatencyHistogram
from tests.proxy import deviating
from tests.proxy.conftest import serving

KEY = {"Authorization": "Bearer sk_test_proxy_latency"}


def _flow(seconds: float) -> ProxyFlow:
    flow = ProxyFlow(1, "GET", "/api/v1/usage", "", [], 0.0, Tap())
    flow.finished = seconds
    return flow


def test_each_exchange_is_counted_in_the_bucket_of_its_duration():
    histogram = LatencyHistogram()
    for seconds in (0.0004, 0.001, 0.0011, 0.3, 12.0):
        histogram.done(_flow(seconds))
    report = histogram.health()
    counts = {b["le_ms"]: b["count"] for b in report["buckets"]}
    assert counts[1] == 2 and counts[5] == 1 and counts[500] == 1 and counts[None] == 1
    assert sum(counts.values()) == report["count"] == 5
    assert report["mean_ms"] == round((0.4 + 1 + 1.1 + 300 + 12000) / 5, 3)
    assert [b["le_ms"] for b in report["buckets"]] == [*BOUNDS_MS, None]


def test_the_histogram_is_read_in_health_over_http():
    with serving(deviating.app) as upstream, \
            serving(Proxy("stagepro", upstream + "/api/v1")) as origin:
        assert httpx.get(origin + "/__mock/health").json()["hooks"]["latency"]["count"] == 0
        for _ in range(3):
            httpx.get(origin + "/api/v1/usage", headers=KEY)
        httpx.get(origin + "/api/v1/jobs/job_DEVIATING0000000001", headers=KEY)
        latency = httpx.get(origin + "/__mock/health").json()["hooks"]["latency"]
        entries = httpx.get(origin + "/__mock/journal").json()["entries"]
    assert latency["count"] == 4 == sum(b["count"] for b in latency["buckets"])
    # each exchange sits in the first bucket its journaled duration fits
    expected = [0] * len(latency["buckets"])
    for entry in entries:
        expected[next((i for i, le in enumerate(BOUNDS_MS) if entry["duration_ms"] <= le),
                      len(BOUNDS_MS))] += 1
    assert [b["count"] for b in latency["buckets"]] == expected
