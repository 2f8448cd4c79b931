"""``stagemock proxy``, ``stagemock replay`` and ``stagemock drift``: their arguments and
entry points (registered by ``mock_server.cli.build_parser``)."""

from __future__ import annotations

import argparse
import sys

from ..argtypes import port_number, positive_seconds

#: Where ``stagemock proxy`` listens by default (the mock itself takes 8000).
DEFAULT_PORT = 8001


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = sub.add_parser(
        "proxy", help="a validating, recording proxy in front of a real API "
        "(stagemock proxy stagepro --upstream URL)",
        description="Relay every byte to the upstream and back, journal each exchange with a "
        "verdict on the client's request and one on the upstream's response (docs/proxy.md).")
    proxy.add_argument("api", choices=("stagepro", "stagerai"))
    proxy.add_argument("--upstream", required=True, metavar="URL",
                       help="the API's base URL, e.g. https://www.stageproai.com/api/v1; the "
                       "proxy serves the API at the same path")
    proxy.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                       help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)")
    proxy.add_argument("--record", metavar="FILE",
                       help="append each exchange, redacted, to FILE (JSON Lines, large "
                       "bodies beside it in FILE.bodies/; HAR 1.2 when FILE ends .har)")
    proxy.add_argument("--timeout", type=positive_seconds, default=60.0,
                       help="seconds to wait for the upstream (default 60): past it, 504")
    proxy.add_argument("--ca-bundle", metavar="FILE",
                       help="PEM file of the certificate authorities an https upstream is "
                       "verified against (a private CA; default: the system's)")
    proxy.add_argument("--log-level", default="warning",
                       choices=("critical", "error", "warning", "info", "debug", "trace"))
    proxy.set_defaults(run=lambda args, rest: run_proxy(args), takes_rest=False)

    replay = sub.add_parser(
        "replay", help="replay a recording against any server and compare the answers' shapes",
        description="Send a recorded session's requests, in order, to --base-url (ids "
        "substituted, asynchronous work waited for) and compare each answer with the "
        "recording by shape (docs/proxy.md).")
    replay.add_argument("file", metavar="FILE",
                        help="a recording: --record's JSON Lines, or HAR 1.2 (FILE.har)")
    replay.add_argument("--base-url", required=True, metavar="URL",
                        help="the API's base URL on the server to replay against")
    replay.add_argument("--api-key", required=True, metavar="KEY",
                        help="the key to send in place of the recorded (redacted) one")
    replay.add_argument("--api", choices=("stagepro", "stagerai"),
                        help="which API's exchanges to replay from a `stagemock serve "
                        "--record` file (it holds both; default: the one --base-url names)")
    replay.add_argument("--json", action="store_true", help="the report as JSON")
    replay.add_argument("--timeout", type=positive_seconds, default=30.0,
                        help="longest wait for one request, or for a job to reach its "
                        "recorded status (default 30 s)")
    replay.set_defaults(run=lambda args, rest: run_replay(args), takes_rest=False)

    drift = sub.add_parser(
        "drift", help="how a fresh mock answers a recording of the real API, and the spec "
        "edits the differences call for",
        description="Replay a recording of a real service against a fresh in-process mock "
        "and report where the mock answers differently (docs/proxy.md).")
    drift.add_argument("file", metavar="FILE",
                       help="a recording: --record's JSON Lines, or HAR 1.2 (FILE.har, as "
                       "browser devtools, Playwright and mitmproxy export it)")
    drift.add_argument("--json", action="store_true", help="the report as JSON")
    drift.set_defaults(run=lambda args, rest: run_drift(args), takes_rest=False)


def run_proxy(args: argparse.Namespace) -> int:
    import uvicorn

    from ..cli import _bind
    from .app import Proxy

    try:
        app = Proxy(args.api, args.upstream, record=args.record, timeout=args.timeout,
                    ca_bundle=args.ca_bundle)
    except (ValueError, OSError) as exc:
        print(f"stagemock proxy: {exc}", file=sys.stderr)
        return 2
    sock = _bind("127.0.0.1", args.port)
    if isinstance(sock, str):
        print(sock.replace("stagemock serve", "stagemock proxy"), file=sys.stderr)
        return 2
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    lines = [
        f"stagemock proxy for {args.api}: {origin}{app.base_path} → {app.upstream}",
        f"  journal   {origin}/__mock/journal   dashboard {origin}/__mock/ui",
    ]
    if args.record:
        lines.append(f"  recording {args.record}")
    print("\n".join(lines), flush=True)
    from ..serving import HttpProtocol

    config = uvicorn.Config(app, http=HttpProtocol, loop="auto", log_level=args.log_level,
                            access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from .replay import main

    return main(args)


def run_drift(args: argparse.Namespace) -> int:
    from .drift import main

    return main(args)
