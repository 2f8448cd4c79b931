"""The one curl writer (``mock_server.curl``): check's and replay's lines as they were, and
every line shell-safe: the words bash reads back are the request's, whatever the header, URL
or body holds, with each secret as its variable."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from contract_tests.curl import command
from mock_server.curl import Var, curl, with_variables
from mock_server.proxy.replay_text import curl as replay_curl


def test_checks_line_keeps_its_form() -> None:
    line = command("post", "http://127.0.0.1:8000/api/v1/jobs",
                   {"Authorization": "Bearer sk_live_1", "Content-Type": "application/json",
                    "User-Agent": "python-httpx"}, b'{"type": "edit"}')
    assert line == ("""curl -X POST -H "Authorization: Bearer $STAGEMOCK_API_KEY" """
                    """-H 'Content-Type: application/json' --data-binary '{"type": "edit"}' """
                    """http://127.0.0.1:8000/api/v1/jobs""")
    assert command("GET", "http://h/x", {}, b"a" * 2001).endswith(
        f"--data-binary '{'a' * 2000}…' http://h/x")


def test_replays_line_keeps_its_form() -> None:
    line = replay_curl("POST", "http://127.0.0.1:8000/api/projects",
                       {"stager-api-key": "stager_test_k", "accept": "*/*",
                        "user-agent": "x", "x-note": "it's"}, b'{"name":\n"p"}',
                       {"stager_test_k": "API_KEY"})
    assert line == ("""curl -X POST http://127.0.0.1:8000/api/projects """
                    """-H "stager-api-key: $API_KEY" -H 'x-note: it'"'"'s' """
                    """--data-raw '{"name":\n"p"}'""")
    assert replay_curl("PUT", "http://h/o", {}, b"\xff\xd8", {}).endswith(
        "--data-binary @BODY_FILE")


def test_secrets_are_cut_out_in_order_and_only_from_what_is_left() -> None:
    assert with_variables("Bearer sk_1 sk_12", {"sk_12": "B", "sk_1": "A"}) == [
        "Bearer ", Var("A"), " ", Var("B")]
    assert with_variables("sk_1", {"sk_1": "A"}) == [Var("A")]
    with pytest.raises(ValueError, match="not a shell variable name"):
        Var("API-KEY")


CASES = [
    # (url, header name, header value, secrets, body)
    ("http://h/a b?q='1'&r=\"2\"", "X-Note", 'a "quoted" $HOME `id` \\ !x', {}, None),
    ("http://h/", "Authorization", "Bearer sk_live_9", {"sk_live_9": "API_KEY"}, None),
    ("http://h/", "Authorization", "Bearer sk_live_9x", {"sk_live_9": "API_KEY"}, None),
    ("http://h/", "Cookie", 'a="$x"; s=sk_live_9!', {"sk_live_9": "API_KEY"}, None),
    ("http://h/", "X", "k1k2", {"k1": "A", "k2": "B"}, b"@/etc/hostname"),
    ("http://h/", "X", "v", {}, b'line 1\nit\'s "two" $HOME\n'),
    ("http://h/", "X", "v", {}, b"\xff\xfe\x00binary"),
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="reads the lines back with bash")
def test_every_line_reads_back_as_the_request_in_bash() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "API_KEY": "s3cret", "A": "a$", "B": "'b"}
    script, expected = [], []
    for url, name, value, secrets, body in CASES:
        for url_first in (False, True):
            parts = with_variables(value, secrets)
            line = curl("POST", url, [(name, parts)], body, url_first=url_first)
            assert "sk_live_9" not in line
            script.append("printf '%s\\0' " + line.removeprefix("curl ") + "; printf '\\1'")
            header = name + ": " + "".join(env[p.name] if isinstance(p, Var) else p
                                           for p in parts)
            if body is None:
                data = []
            elif body.startswith(b"\xff"):
                data = ["--data-binary", "@BODY_FILE"]
            else:
                data = ["--data-raw", body.decode()]
            expected.append(["-X", "POST", *([url] if url_first else []), "-H", header, *data,
                             *([] if url_first else [url])])
    ran = subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True,
                         timeout=30, check=True)
    got = [chunk.split("\0")[:-1] for chunk in ran.stdout.decode().split("\1")[:-1]]
    assert got == expected
