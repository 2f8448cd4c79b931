"""``stagemock mcp [--http --port N] [--with-mock [--deterministic] [--mock-port N]]
[--base-url URL] [--api-key KEY]``: the StagePro MCP server (stdio by default)."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from .. import mounts
from ..argtypes import port_number, positive_seconds
from .client import DEFAULT_BASE_URL

MISSING_SDK = "stagemock mcp needs the MCP SDK: pip install 'stagemock[mcp]'"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stagemock mcp",
        description="MCP server whose tools wrap the StagePro API (jobs, batches, workflows, "
        "uploads, usage, capabilities, design agent). stdio by default.",
    )
    p.add_argument("--base-url", default=None,
                   help=f"StagePro base URL (env STAGEPRO_BASE_URL; default {DEFAULT_BASE_URL})")
    p.add_argument("--api-key", default=None, help="API key (env STAGEPRO_API_KEY)")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="--http: interface (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8765, help="--http: port (default 8765)")
    p.add_argument("--with-mock", action="store_true",
                   help="start a stagemock server in-process and point at it")
    p.add_argument("--deterministic", action="store_true",
                   help="--with-mock: virtual clock, moved only by the advance_clock tool")
    p.add_argument("--seed", type=int, default=0, help="--with-mock: seed (default 0)")
    p.add_argument("--mock-port", type=port_number, default=None,
                   help="--with-mock: the mock's port (env STAGEMOCK_PORT; default a free one)")
    p.add_argument("--no-mock-tools", action="store_true",
                   help="never probe GET /__mock/health (no advance_clock / read_journal)")
    p.add_argument("--timeout", type=positive_seconds, default=30.0,
                   help="per-request timeout in seconds (default 30)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.mock_port is not None and not args.with_mock:
        parser.error("argument --mock-port: only with --with-mock (the port of its mock)")
    mock_port = args.mock_port
    if mock_port is None and os.environ.get("STAGEMOCK_PORT", "").strip():
        try:
            mock_port = port_number(os.environ["STAGEMOCK_PORT"].strip())
        except argparse.ArgumentTypeError as exc:
            parser.error(f"$STAGEMOCK_PORT {exc}")
    try:
        import mcp  # noqa: F401
    except ImportError:
        print(MISSING_SDK, file=sys.stderr)
        return 2
    import anyio

    from .client import StageProClient
    from .server import serve_http, serve_stdio

    api_key = args.api_key or os.environ.get("STAGEPRO_API_KEY")
    base_url = args.base_url or os.environ.get("STAGEPRO_BASE_URL") or DEFAULT_BASE_URL
    mock = None
    if args.with_mock:
        from ..settings import Settings
        from ..testing import RunningServer

        settings = Settings(deterministic=args.deterministic, seed=args.seed, image_workers=0)
        try:
            mock = RunningServer(settings, port=mock_port)
        except OSError as exc:
            why = ("already in use" if exc.errno == errno.EADDRINUSE
                   else exc.strerror or str(exc))
            print(f"stagemock mcp: cannot listen on {settings.host}:{mock_port} "
                  f"(--mock-port or $STAGEMOCK_PORT): {why}; pick another port, or leave "
                  "both unset for a free one", file=sys.stderr)
            return 2
        mock.start()
        base_url = mounts.base_url(mock.url, "stagepro")
        api_key = api_key or "sk_test_mcp"
        print(f"stagemock mcp: in-process mock at {mock.url} "
              f"({'deterministic' if args.deterministic else 'wall clock'})",
              file=sys.stderr, flush=True)
    if not api_key:
        print("stagemock mcp: no STAGEPRO_API_KEY (or --api-key): every call will be a 401",
              file=sys.stderr, flush=True)
    if args.http and mock is None and (absent := _no_api_at(base_url)):
        print(f"stagemock mcp: no StagePro API answers at {base_url} ({absent}); its tools need "
              "one: start the mock (stagemock serve, on :8000), set STAGEPRO_BASE_URL (or "
              "--base-url), or pass --with-mock", file=sys.stderr, flush=True)
    client = StageProClient(base_url, api_key, timeout=args.timeout,
                            mock_extras=not args.no_mock_tools)
    try:
        if args.http:
            anyio.run(serve_http, client, args.host, args.port)
        else:
            anyio.run(serve_stdio, client)
    except KeyboardInterrupt:
        pass
    finally:
        if mock is not None:
            mock.stop()
    return 0


def _no_api_at(base_url: str) -> str | None:
    """Why nothing answers HTTP at ``base_url`` (one short request), or ``None``: any answer,
    a 401 included, is an API there. Said at startup so that the first tool call is not the
    first sign of a mock that was never started."""
    import httpx

    try:
        httpx.get(base_url.rstrip("/") + "/capabilities", timeout=2.0)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(main())
