"""``mock_server.listen``: a port already taken is one line naming the command to run again,
for ``stagemock serve`` and ``stagemock proxy`` alike (both bind through the one leaf); a bad
option of ``serve`` is named before the port it could not take."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mock_server import cli
from mock_server.listen import bind


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


def test_a_free_port_is_a_listening_socket() -> None:
    sock = bind("127.0.0.1", 0)
    assert isinstance(sock, socket.socket)
    with sock:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.get_inheritable()


@pytest.mark.parametrize(("argv", "command"), [
    (["serve"], "stagemock serve"),
    (["proxy", "stagepro", "--upstream", "http://127.0.0.1:9/api/v1"], "stagemock proxy"),
])
def test_a_taken_port_is_one_line_naming_the_command(
        taken_port: int, argv: list[str], command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*argv, "--port", str(taken_port)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"stagemock: 127.0.0.1:{taken_port} is already in use (another stagemock?); stop it or "
        f"pick another port: {command} --port {taken_port + 1}"]


def test_a_bad_fault_is_named_even_when_the_port_is_taken(
        taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    """faults.md's bad ``--fault`` example, typed while a mock already holds the port: the
    one line names the rule (what is wrong with the command), not the port."""
    argv = ["serve", "--port", str(taken_port), "--fault", "stagepro:createJbo:lose_response"]
    assert cli.main(argv) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("stagemock: --fault 'stagepro:createJbo:lose_response': `operation` "
                           "'createJbo' is no operationId of stagepro; known: "), line


def test_a_good_fault_on_a_taken_port_is_the_port_line(
        taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["serve", "--port", str(taken_port), "--fault", "stagepro:createJob:lose_response"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"stagemock: 127.0.0.1:{taken_port} is already in use (another stagemock?); stop it or "
        f"pick another port: stagemock serve --port {taken_port + 1}"]
