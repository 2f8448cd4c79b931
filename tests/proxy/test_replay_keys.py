"""Keys: a recording with two accounts and a 402 from ``sk_live_mock_no_credits`` replays with
0 differences (the fixture key kept, found by its fingerprint; every other recorded key its
own fresh test key); ``--key-map`` sends the key it names."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from mock_server.proxy.redact import mask_key
from mock_server.proxy.replay import Replayer
from mock_server.proxy.replay_keys import Keys
from mock_server.settings import Settings
from mock_server.testing import RunningServer
from tests.proxy.conftest import proxying
from tests.proxy.test_replay import JOB

ALICE, BOB, BROKE = "sk_test_alice", "sk_test_bob", "sk_live_mock_no_credits"


def _two_accounts(tmp_path):
    """Alice and Bob each create a job and list theirs; the account without credits is
    refused (402). Recorded through the proxy: every key as its fingerprint."""
    path = tmp_path / "two-keys.jsonl"
    with RunningServer(Settings(deterministic=True, image_workers=0)) as mock, \
            proxying("stagepro", mock.url + "/api/v1", record=path) as (origin, _p):
        for key in (ALICE, BROKE, BOB):
            r = httpx.post(origin + "/api/v1/jobs", json=JOB,
                           headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == (402 if key == BROKE else 202), r.text
        for key in (ALICE, BOB):
            listed = httpx.get(origin + "/api/v1/jobs",
                               headers={"Authorization": f"Bearer {key}"}).json()
            assert len(listed["data"]) == 1  # each account sees its own job only
    text = path.read_text()
    assert ALICE not in text and BROKE not in text and mask_key(BROKE) in text
    return path


def test_a_two_key_recording_with_a_402_replays_with_no_difference(tmp_path):
    path = _two_accounts(tmp_path)
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        replayer = Replayer(path, fresh.url + "/api/v1", "sk_test_replayer")
        outcome = replayer.run()
        sent = {recorded: key for (_api, recorded), key in replayer.keys.assigned.items()}
        assert sent == {mask_key(ALICE): "sk_test_replayer", mask_key(BROKE): BROKE,
                        mask_key(BOB): "sk_test_replayer_2"}
        # two accounts on the new server too: each listed its own job
        for key in ("sk_test_replayer", "sk_test_replayer_2"):
            jobs = httpx.get(fresh.url + "/api/v1/jobs",
                             headers={"Authorization": f"Bearer {key}"}).json()["data"]
            assert len(jobs) == 1
    assert outcome.replayed == 5
    assert outcome.differences == [], [d.as_json() for d in outcome.differences]
    drift = subprocess.run([sys.executable, "-m", "mock_server", "drift", str(path), "--json"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert json.loads(drift.stdout)["differences"] == []


def test_key_map_sends_the_key_it_names_and_curls_name_it_as_a_variable(tmp_path):
    path = _two_accounts(tmp_path)
    with RunningServer(Settings(deterministic=True, image_workers=0)) as fresh:
        proc = subprocess.run(
            [sys.executable, "-m", "mock_server", "replay", str(path), "--base-url", fresh.url,
             "--key-map", f"{mask_key(ALICE)}=sk_test_mapped", "--key-map", f"{BOB}=sk_test_b2",
             "--json"], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for key in ("sk_test_mapped", "sk_test_b2"):  # by fingerprint, or by the whole key
            jobs = httpx.get(fresh.url + "/api/v1/jobs",
                             headers={"Authorization": f"Bearer {key}"}).json()["data"]
            assert len(jobs) == 1, key
    assert json.loads(proc.stdout)["differences"] == []


def test_a_server_that_is_not_a_mock_gets_the_given_key_for_each_and_says_so():
    keys = Keys(["stagepro"], ["sk_test_ci"], {}, mock=False)
    assert keys.key_for("stagepro", "sk_test_.aaaaaa") == "sk_test_ci"
    assert keys.key_for("stagepro", "sk_test_.bbbbbb") == "sk_test_ci"
    assert keys.key_for("stagepro", "sk_live_.cccccc") == "sk_test_ci"  # no fixtures there
    [variable, shared] = keys.legend()
    assert variable.startswith("$API_KEY in the curls below is --api-key sk_test_.")
    assert "3 recorded stagepro keys" in shared and "--key-map" in shared


def test_no_curl_variable_is_explained_when_no_difference_prints_a_curl():
    keys = Keys(["stagepro"], ["sk_test_ci"], {}, mock=False)
    keys.key_for("stagepro", "sk_test_.aaaaaa")
    assert keys.legend(curls=True)[0].startswith("$API_KEY in the curls below")
    assert not any("curls below" in line for line in keys.legend(curls=False))
