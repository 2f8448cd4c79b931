"""``stagemock mcp --http --port N --with-mock``: streamable HTTP, with its own in-process mock."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.waiting import wait_for

from .conftest import ROOT
from .session import text_of


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    def listening() -> bool:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout)
    except AssertionError as exc:
        if "condition not met" in str(exc):
            raise AssertionError("stagemock mcp --http did not listen") from None
        raise


@contextmanager
def _mcp_http_with_mock(port: int, env: dict[str, str]) -> Iterator[None]:
    """``stagemock mcp --http --port PORT --with-mock --deterministic``, listening, stopped
    (killed if it will not stop) on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "mcp", "--http", "--port", str(port),
         "--with-mock", "--deterministic"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(port, proc)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_streamable_http_with_its_own_mock():
    port, mock_port = _free_port(), _free_port()
    env = {"PATH": "/usr/bin:/bin", "STAGEPRO_API_KEY": "sk_test_mcp_http",
           "STAGEMOCK_PORT": str(mock_port)}  # pins the in-process mock's port
    with _mcp_http_with_mock(port, env):
        async def main():
            with anyio.fail_after(20):
                async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (r, w):
                    async with ClientSession(r, w) as s:
                        await s.initialize()
                        tools = await s.list_tools()
                        caps = await s.call_tool("get_capabilities", {})
                        usage = await s.call_tool("get_usage", {})
                        return tools, caps, usage

        tools, caps, usage = anyio.run(main)
        health = httpx.get(f"http://127.0.0.1:{mock_port}/__mock/health", timeout=10)
        assert health.status_code == 200 and health.json()["deterministic"] is True
    names = {t.name for t in tools.tools}
    assert {"create_job", "wait_for_job", "advance_clock", "read_journal"} <= names
    assert not caps.is_error, text_of(caps)
    assert "virtual-twilight" in text_of(caps)
    assert json.loads(usage.content[0].text)["livemode"] is False  # the sk_test_ key was used


def test_http_says_where_it_listens_and_that_it_needs_a_stagepro_api():
    """issue 34: `stagemock mcp --http --port N` printed no "listening on" line, and nothing
    said it needs a StagePro API (the mock on :8000 or STAGEPRO_BASE_URL) when none answers."""
    port, nobody = _free_port(), _free_port()  # nothing listens on `nobody`
    env = {"PATH": "/usr/bin:/bin", "STAGEPRO_API_KEY": "sk_test_mcp_http",
           "STAGEPRO_BASE_URL": f"http://127.0.0.1:{nobody}/api/v1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "mcp", "--http", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_listening(port, proc)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert f"listening on http://127.0.0.1:{port}/mcp" in err, err
    assert f"no StagePro API answers at http://127.0.0.1:{nobody}/api/v1" in err, err
    assert "start the mock (stagemock serve, on :8000), set STAGEPRO_BASE_URL" in err, err


def test_http_with_an_api_answering_says_nothing_of_a_missing_one():
    from mock_server.mcp.cli import _no_api_at
    from mock_server.settings import Settings
    from mock_server.testing import RunningServer

    with RunningServer(Settings(deterministic=True, image_workers=0)) as mock:
        assert _no_api_at(mock.url + "/api/v1") is None  # a 401 is an answer
    assert "ConnectError" in (_no_api_at(f"http://127.0.0.1:{_free_port()}/api/v1") or "")


def _doc_block() -> str:
    """docs/mcp.md's Python client for ``--http``, as printed."""
    text = (ROOT / "docs" / "mcp.md").read_text(encoding="utf-8")
    section = text[text.index("## Over streamable HTTP"):]
    start = section.index("```python\n") + len("```python\n")
    return section[start:section.index("```", start)]


def test_the_docs_http_client_runs_as_printed(tmp_path):
    """The page's block, with the one rewrite a reader makes (its port 8765 becomes a free
    one), against ``stagemock mcp --http --with-mock``: it prints the test key's credits."""
    port = _free_port()
    code = _doc_block()
    assert "127.0.0.1:8765/mcp" in code
    script = tmp_path / "client.py"
    script.write_text(code.replace("127.0.0.1:8765", f"127.0.0.1:{port}"), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "STAGEPRO_API_KEY": "sk_test_mcp_doc"}
    with _mcp_http_with_mock(port, env):
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             timeout=60, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "'unlimited': True" in run.stdout, run.stdout
