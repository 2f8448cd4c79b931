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
    replay.add_argument("--base-url", action="append", metavar="[API=]URL", required=True,
                        help="where to replay: a stagemock's URL (both APIs are replayed "
                        "there, each at its base), or an API's base URL on any server; "
                        "repeat as stagepro=URL and stagerai=URL to replay both elsewhere")
    replay.add_argument("--api-key", action="append", metavar="KEY",
                        help="the key to send for the first recorded key of the API its "
                        "prefix names (sk_...: StagePro, stager_...: Stager AI; repeatable). "
                        "Default on a stagemock: sk_test_replay / stager_test_replay")
    replay.add_argument("--key-map", action="append", type=key_pair, default=[],
                        metavar="RECORDED=KEY",
                        help="send KEY where the recording shows RECORDED (as the recording "
                        "shows it, e.g. sk_test_.3f9a1c, or the whole key); repeatable")
    replay.add_argument("--api", choices=("stagepro", "stagerai"),
                        help="replay only this API's exchanges (a recording of `stagemock "
                        "serve --record` holds both)")
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
    drift.add_argument("--api", choices=("stagepro", "stagerai"),
                       help="drift only this API's exchanges (default: every API recorded)")
    drift.add_argument("--seed", type=int, default=0,
                       help="the seed of the fresh mock (default 0); the report prints the "
                       "`stagemock serve` line that recreates it")
    drift.add_argument("--timeout", type=positive_seconds, default=30.0,
                       help="longest wait for one request, or for a state (default 30 s)")
    drift.add_argument("--json", action="store_true", help="the report as JSON")
    drift.set_defaults(run=lambda args, rest: run_drift(args), takes_rest=False)


def run_proxy(args: argparse.Namespace) -> int:
    import uvicorn

    from ..listen import bind
    from .app import Proxy

    try:
        app = Proxy(args.api, args.upstream, record=args.record, timeout=args.timeout,
                    ca_bundle=args.ca_bundle)
    except (ValueError, OSError) as exc:
        print(f"stagemock proxy: {exc}", file=sys.stderr)
        return 2
    sock = bind("127.0.0.1", args.port, command="stagemock proxy")
    if isinstance(sock, str):
        print(sock, file=sys.stderr)
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


def key_pair(text: str) -> tuple[str, str]:
    """``RECORDED=KEY`` (``--key-map``)."""
    recorded, sep, key = text.partition("=")
    if not sep or not recorded or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: give RECORDED=KEY, e.g. "
                                         "sk_test_.3f9a1c=sk_test_mine")
    return recorded, key


def run_replay(args: argparse.Namespace) -> int:
    from .replay import main

    plain = [u for u in args.base_url if not u.startswith(("stagepro=", "stagerai="))]
    if len(plain) > 1:
        print("stagemock replay: give one --base-url URL, or one per API as stagepro=URL "
              "and stagerai=URL", file=sys.stderr)
        return 2
    args.bases = dict(u.split("=", 1) for u in args.base_url if u not in plain)
    args.base_url = plain[0] if plain else None
    args.key_map = dict(args.key_map)
    return main(args)


def run_drift(args: argparse.Namespace) -> int:
    from .drift import main

    return main(args)
