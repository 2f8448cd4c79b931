"""A quick guard for ``x-stagemock-state-dependent``: an operation whose schema-valid input
the mock can still refuse (400: an inactive webhook endpoint, a cursor it did not issue, bytes
that are not an image) must say so in the spec, next to the operation, or ``stagemock check``
fails the mock's own contract run. This test finds a missing declaration in seconds, with the
spec's examples and the coverage phase's positive cases only, instead of a full contract run."""

from __future__ import annotations

import httpx
import pytest

from contract_tests import runner
from contract_tests.__main__ import DEFAULT_KEYS
from contract_tests.target import Target
from mock_server import Settings
from mock_server.mounts import BASE_PATHS
from mock_server.testing import RunningServer


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_every_refusal_of_schema_valid_input_is_declared_in_the_spec(api, monkeypatch):
    declared = runner.state_dependent(api)
    # As if no operation declared anything: every refusal of valid input is then a failure.
    monkeypatch.setattr(runner, "state_dependent", lambda _api: {})
    with RunningServer(Settings(deterministic=True)) as server:
        key = DEFAULT_KEYS[api]
        console = None
        if api == "stagepro":
            r = httpx.post(f"{server.url}/__mock/console-sessions", json={"api_key": key})
            console = r.json()["token"]
        target = Target(api, server.url + BASE_PATHS[api], key, None, console, True)
        result = runner.run_schemathesis(
            target, phases="examples,coverage", max_examples=5, seed=1,
            checks=["positive_data_acceptance"], timeout=300,
        )
    refused = {p.operation.split(" ")[0] for p in result.failures
               if p.check == "positive_data_acceptance"}
    others = [p for p in result.failures if p.check != "positive_data_acceptance"]
    assert not others, "\n".join(line for p in others for line in p.lines())
    missing = sorted(refused - set(declared))
    assert not missing, (
        f"{api}: these operations refuse schema-valid input; declare the status next to each "
        f"in the spec (`x-stagemock-state-dependent: [400]`) if the refusal depends on state, "
        f"else fix the mock: {missing}\n"
        + "\n".join(line for p in result.failures for line in p.lines())
    )
    # The guard can fail: StagePro's declared operations are among those it saw refuse.
    # (Stager AI's last refusal these few examples reached, an upload with both `File` and
    # `file`, is now stated by the schema itself; its state-dependent ones need state the
    # examples do not build.)
    if api == "stagepro":
        assert refused, "no operation refused schema-valid input: is the guard blind?"
