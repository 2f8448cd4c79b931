"""The proxy as a flow with hooks (mitmproxy's addons): the journal, the verdicts, the
lifecycle judgement and the recorder are hooks found in ``mock_server.proxy.hooks``; a
caller's own hooks see every exchange through the same events; a failing hook costs the
client nothing. Over real sockets, in front of the deviating upstream."""

from __future__ import annotations

import json

import httpx

from mock_server.proxy.app import Proxy
from mock_server.proxy.hooks import Hook, ProxyFlow
from tests.proxy import deviating
from tests.proxy.conftest import serving

KEY = {"Authorization": "Bearer sk_test_proxy_hooks"}


class Spy(Hook):
    """Notes each event with what the flow holds at that moment."""

    name = "spy"

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str | None, int | None, int]] = []

    def _note(self, event: str, flow: ProxyFlow) -> None:
        self.seen.append((event, flow.seq, flow.operation_id, flow.client_status,
                          len(flow.response_violations)))

    def request(self, flow: ProxyFlow) -> None:
        self._note("request", flow)

    def response(self, flow: ProxyFlow) -> None:
        self._note("response", flow)

    def done(self, flow: ProxyFlow) -> None:
        self._note("done", flow)


class Broken(Hook):
    name = "broken"

    def done(self, flow: ProxyFlow) -> None:
        raise RuntimeError("a bug in a hook")


def test_the_default_hooks_are_found_in_the_package_and_ordered(tmp_path):
    plain = [h.name for h in Proxy("stagepro", "http://127.0.0.1:9/api/v1").hooks]
    # numbering first, then judging (the lifecycle upgrades the verdicts' findings)
    assert plain[:3] == ["journal", "verdicts", "lifecycle"] and "recorder" not in plain
    recording = Proxy("stagepro", "http://127.0.0.1:9/api/v1", record=tmp_path / "r.jsonl")
    assert [h.name for h in recording.hooks][-1] == "recorder"  # writes what all judged


def test_a_callers_hook_sees_each_exchange_after_the_default_ones_judged_it(tmp_path):
    spy = Spy()
    recording = tmp_path / "hooks.jsonl"
    with serving(deviating.app) as upstream:
        proxy = Proxy("stagepro", upstream + "/api/v1", record=recording, hooks=[spy, Broken()])
        with serving(proxy) as origin:
            answer = httpx.get(origin + "/api/v1/jobs/job_DEVIATING0000000001", headers=KEY)
            entries = httpx.get(origin + "/__mock/journal").json()["entries"]
    assert answer.status_code == 418  # relayed although a hook failed on the exchange
    # request: numbered by the journal hook, matched, not answered yet; response and done:
    # the verdicts hook (called before it) has judged the undeclared 418
    assert spy.seen == [("request", 1, "getJob", None, 0), ("response", 1, "getJob", 418, 1),
                        ("done", 1, "getJob", 418, 1)]
    [entry] = entries
    assert entry["status"] == 418 and entry["response_violations"][0]["rule"] == "unspecified"
    assert entry["notes"] == ["the broken hook failed on this exchange (done)"]
    [line] = recording.read_text().splitlines()[1:]
    assert json.loads(line)["verdicts"]["response"]["conformant"] is False


def test_an_unreachable_upstream_still_reaches_every_hook():
    spy = Spy()
    with serving(Proxy("stagepro", "http://127.0.0.1:9/api/v1", timeout=5,
                       hooks=[spy])) as origin:
        answer = httpx.get(origin + "/api/v1/usage", headers=KEY)
    assert answer.status_code == 502
    assert [event for event, *_ in spy.seen] == ["request", "response", "done"]
    assert spy.seen[-1][3] == 502  # the proxy's own answer, as the client got it
