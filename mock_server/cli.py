"""The ``stagemock`` command: ``serve`` the mock, ``check`` a server against the specs, ``mcp``
(the StagePro MCP server), ``webhook-receiver`` (a receiver to point webhooks at)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

#: ``stagemock --help``'s first lines: plain text for a terminal (the docstring is reST).
DESCRIPTION = (
    "A local, deterministic mock of the StagePro v1 and Stager AI APIs: serve it, check a "
    "server against the specs, judge a client's journal, record and replay real traffic "
    "(proxy, replay, drift), serve MCP tools, receive webhooks."
)

if TYPE_CHECKING:
    from .faults.models import FaultBook
    from .settings import Settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .listen import bind
    from .mounts import base_url
    from .serving import HttpProtocol

    sock = bind(args.host, args.port)
    if isinstance(sock, str):
        # A bad --fault is named even when the port is taken (the usual case: its example
        # typed while a mock already runs on :8000): the options first, then the port.
        checked = args.fault or args.allow_outbound  # only these need the specs to judge
        print((checked and _refused_option(args)) or sock, file=sys.stderr)
        return 2
    settings = _settings(args, sock.getsockname()[1])
    try:
        app = create_app(settings)
    except ValueError as exc:  # a bad --fault, --rate-limit or --allow-outbound: one line
        sock.close()
        print(f"stagemock: {exc}", file=sys.stderr)
        return 2
    port = settings.port
    mode = (
        "deterministic (virtual clock at 2026-01-01T00:00:00Z)"
        if args.deterministic
        else "wall clock"
    )
    origin = f"http://{args.host}:{port}"
    lines = [
        f"stagemock serving on {origin}  [{mode}, seed {args.seed}]",
        f"  StagePro   base URL {base_url(origin, 'stagepro')}",
        f"  Stager AI  base URL {base_url(origin, 'stagerai')}",
        f"  control plane       {origin}/__mock/health",
    ]
    lines += _armed(app.state.ctx.faults) + _switched(settings)
    token = app.state.admin_token
    if token is not None:
        where = "given" if args.admin_token else "generated"
        lines.append(
            f"  control plane token ({where}): send 'Authorization: Bearer {token}' to /__mock/"
        )
    print("\n".join(lines), flush=True)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=HttpProtocol,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _settings(args: argparse.Namespace, port: int) -> Settings:
    """``serve``'s options as the app's settings, on the port it listens on."""
    from .settings import Settings

    return Settings(
        host=args.host,
        port=port,
        seed=args.seed,
        deterministic=args.deterministic,
        job_seconds=args.job_seconds,
        public_url=args.public_url,
        fetch_remote=args.fetch_remote,
        outbound_allow=tuple(args.allow_outbound or ()),
        manage_gc=True,  # a long-running server process: see mock_server/gc_policy.py
        image_workers=args.image_workers,
        admin_token=args.admin_token,
        lenient=args.lenient,
        faults=tuple(args.fault or ()),
        rate_limit=args.rate_limit,
        record=args.record,
    )


def _refused_option(args: argparse.Namespace) -> str | None:
    """The one line ``serve`` says for a bad ``--fault`` (or ``--allow-outbound``), checked
    against the specs by building the app as it would run, but with nothing started and
    nothing written (no workers, no recording); None when the options are good."""
    from dataclasses import replace

    from .app import create_app

    try:
        create_app(replace(_settings(args, 0), image_workers=0, manage_gc=False, record=None))
    except ValueError as exc:
        return f"stagemock: {exc}"
    return None


def _armed(faults: FaultBook) -> list[str]:
    """The banner's lines for what ``--fault`` and ``--rate-limit`` armed (none: nothing)."""
    lines = [f"  fault rule          {rule.describe()}" for rule in faults.rules]
    if faults.rate_limit is not None:
        lines.append(f"  rate limit          {faults.rate_limit.describe()}")
    return lines


def _switched(settings: Settings) -> list[str]:
    """The banner's lines for ``--lenient`` and ``--record``, which change what the mock
    accepts and what it writes: a user sees them on before the first request."""
    lines = []
    if settings.lenient:
        lines.append("  lenient             requests that break only guessed rules are "
                     "accepted, each journaled with a warning")
    if settings.record:
        lines.append(f"  recording           {settings.record} (every exchange with either "
                     "API: stagemock replay and drift read it)")
    return lines


#: What ``stagemock check`` needs beyond the base install (the ``contract`` extra).
CONTRACT_MODULES = ("schemathesis", "hypothesis", "pytest")


def _missing_contract_extra() -> list[str]:
    from importlib.util import find_spec

    return [name for name in CONTRACT_MODULES if find_spec(name) is None]


def _contract(argv: Sequence[str]) -> int:
    # Hand over to the contract suite; imported only now (mock_server never depends on it).
    if missing := _missing_contract_extra():
        print(
            f"stagemock check needs the contract extra ({', '.join(missing)} missing): "
            "pip install 'stagemock[contract]'",
            file=sys.stderr,
        )
        return 2
    import importlib

    runner = importlib.import_module("contract_tests.__main__")
    return int(runner.main(list(argv)) or 0)


def _journal_report(argv: Sequence[str]) -> int:
    # Part of the base install: the pytest plugin builds the same report.
    from .journal_report import main as report_main

    return int(report_main(list(argv)) or 0)


def _mcp(argv: Sequence[str]) -> int:
    # Hand over to the MCP server; imported only now (the base install has no MCP SDK).
    try:
        import mcp  # noqa: F401
    except ImportError:
        print("stagemock mcp needs the MCP SDK: pip install 'stagemock[mcp]'", file=sys.stderr)
        return 2
    from .mcp.cli import main as mcp_main

    return int(mcp_main(list(argv)) or 0)


# ``stagemock webhook-receiver``: ``mock_server.testing.WebhookReceiver`` for shell users. It
# answers the verification challenge and prints one JSON line per request it answers.
def _webhook_receiver(args: argparse.Namespace) -> int:
    import json
    import threading

    from .testing import Received, WebhookReceiver

    def show(record: Received) -> None:
        body = record["json"] if record["json"] is not None else record["body"].decode(
            "utf-8", "replace")
        print(json.dumps({
            "path": record["path"], "challenge": record["challenge"], "status": record["status"],
            "event_id": record["headers"].get("x-stagepro-event-id"),
            "signature": record["headers"].get("x-stagepro-signature"), "body": body,
        }), flush=True)

    receiver = WebhookReceiver(port=args.port, on_request=show)
    try:
        receiver.start()
    except (OSError, RuntimeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"stagemock webhook-receiver: cannot listen on 127.0.0.1:{args.port}: {why} "
              f"(in use? pick another: --port {args.port + 1})", file=sys.stderr)
        return 2
    print(f"stagemock webhook-receiver: listening on http://127.0.0.1:{args.port}/ (any path)",
          file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    return 0


def _add_webhook_receiver(sub: argparse._SubParsersAction) -> None:
    rx = sub.add_parser("webhook-receiver", help="answer StagePro webhooks on 127.0.0.1 (the "
                        "verification challenge too), printing each as one JSON line")
    rx.add_argument("--port", type=int, default=9000, help="default 9000")
    rx.set_defaults(run=lambda args, rest: _webhook_receiver(args), takes_rest=False)


def build_parser() -> argparse.ArgumentParser:
    from dataclasses import fields

    from ._version import __version__
    from .argtypes import fault_spec, non_negative_int, port_number, positive_seconds, rate_limit
    from .settings import Settings

    # The defaults are Settings' own (written once there), never repeated here.
    d = {f.name: f.default for f in fields(Settings)}
    parser = argparse.ArgumentParser(prog="stagemock", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"stagemock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the mock server (both APIs and /__mock/)",
        epilog="Every option is also an environment variable: --job-seconds is "
        "STAGEMOCK_JOB_SECONDS, --deterministic STAGEMOCK_DETERMINISTIC=1, --fault "
        "STAGEMOCK_FAULT (rules separated by ';'); STAGEMOCK_ARGS takes any options as one "
        "string. The command line wins.",
    )
    serve.add_argument("--host", default=d["host"], help=f"default {d['host']}")
    serve.add_argument(
        "--port", type=port_number, default=d["port"],
        help=f"default {d['port']}; 0: any free port (printed at startup)",
    )
    serve.add_argument(
        "--seed", type=int, default=d["seed"], help=f"id and image seed (default {d['seed']})"
    )
    serve.add_argument(
        "--deterministic",
        action="store_true",
        help="virtual clock from 2026-01-01T00:00:00Z, moved only by POST /__mock/clock/advance",
    )
    serve.add_argument(
        "--job-seconds",
        type=positive_seconds,
        default=d["job_seconds"],
        help=f"how long a job processes (default {d['job_seconds']:g} s; 10-30 is realistic)",
    )
    serve.add_argument("--public-url", default=None, help="origin written into generated URLs")
    serve.add_argument(
        "--fetch-remote",
        action="store_true",
        help="fetch non-local image_url inputs for real (off: synthetic photos, no network); "
        "loopback, private, link-local, multicast and unspecified addresses refused",
    )
    serve.add_argument(
        "--allow-outbound",
        action="append",
        metavar="CIDR",
        help="an address or network --fetch-remote may reach anyway (and webhooks, when "
        "--host is not loopback); repeatable, e.g. --allow-outbound 127.0.0.1",
    )
    serve.add_argument(
        "--image-workers",
        type=non_negative_int,
        default=d["image_workers"],
        help=f"worker processes for image work (default {d['image_workers']}; 0: in the "
        "server process)",
    )
    serve.add_argument(
        "--admin-token",
        default=os.environ.get("STAGEMOCK_ADMIN_TOKEN") or None,
        help="bearer token the control plane requires when --host is not loopback "
        "(default: $STAGEMOCK_ADMIN_TOKEN, else one generated and printed)",
    )
    serve.add_argument(
        "--lenient",
        action="store_true",
        help="accept requests that break only rules the vendors' references do not state "
        "(x-stagemock-guess, see docs/FIDELITY.md), journaling each as a warning",
    )
    serve.add_argument(
        "--fault",
        action="append",
        type=fault_spec,
        metavar="SPEC",
        help="a fault rule from the start, repeatable: API[:OPERATION]:ACTION[,key=value...], "
        "e.g. stagepro:createJob:lose_response or stagepro:error,status=503,times=null "
        "(docs/faults.md)",
    )
    serve.add_argument(
        "--rate-limit",
        type=rate_limit,
        metavar="N/s",
        help="answer 429 with Retry-After past N requests per second per key (token bucket on "
        "the mock's clock; N/min too). The vendors state no limit: off by default",
    )
    serve.add_argument(
        "--record",
        metavar="FILE",
        help="write every exchange with either API to FILE, in the recording format of "
        "stagemock proxy, or as HAR 1.2 when FILE ends .har (stagemock replay FILE --api "
        "stagepro|stagerai sends it again)",
    )
    serve.add_argument(
        "--log-level", default="warning",
        choices=("critical", "error", "warning", "info", "debug", "trace"),
    )
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(run=lambda args, rest: _serve(args), takes_rest=False)
    _add_webhook_receiver(sub)
    from .proxy.cli import add_commands as add_proxy_commands

    add_proxy_commands(sub)
    # The commands below parse their own arguments (their parsers live with their code, and
    # load only when called): the rest of the command line is handed over as it is.
    for name, help_text, run in HANDOVERS:
        handover = sub.add_parser(name, help=help_text, add_help=False)
        handover.set_defaults(run=run, takes_rest=True)
    return parser


#: name, help, runner(args, rest): the commands that hand their arguments to another parser.
HANDOVERS: tuple[tuple[str, str, Callable[[argparse.Namespace, list[str]], int]], ...] = (
    ("journal-report", "what a client's test run exercised (stagemock journal-report --help)",
     lambda args, rest: _journal_report(rest)),
    ("check", "run the contract suite (stagemock check stagepro|stagerai --base-url URL ...)",
     lambda args, rest: _contract(rest)),
    ("mcp", "StagePro MCP server (stagemock mcp [--with-mock] [--http --port N] ...)",
     lambda args, rest: _mcp(rest)),
)


def _with_environment(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with ``serve``'s options from the environment (``STAGEMOCK_SEED``,
    ``STAGEMOCK_ARGS``...: ``serve_env``) put before its own, which win."""
    from .serve_env import arguments

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    at = argv.index("serve") + 1
    return [*argv[:at], *arguments(sub.choices["serve"], os.environ), *argv[at:]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = parser.parse_known_args(argv)
    if args.command == "serve":
        args, rest = parser.parse_known_args(_with_environment(parser, argv))
    if rest and not args.takes_rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return int(args.run(args, rest))
    except BrokenPipeError:
        # stdout was closed early (``stagemock check --list-checks | head``): not an error of
        # ours. Point stdout at /dev/null so the interpreter's final flush stays silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
