"""``python -m contract_tests stagepro|stagerai [--base-url URL] [--api-key KEY] ...`` and
``python -m contract_tests journal-report``. Also reached as ``stagemock check ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_server.mounts import base_url

from .target import (
    API_NAMES,
    DEFAULT_KEYS,
    DEFAULT_OTHER_KEYS,
    Target,
    key_refused,
    origin,
    probe_control_plane,
    unreachable,
    wrong_base,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stagemock check",
        description="Check a server (default: a fresh stagemock) against the StagePro or "
        "Stager AI spec: schemathesis with every check and phase, then property tests.",
    )
    p.add_argument("api", choices=["stagepro", "stagerai"], nargs="?")
    p.add_argument(
        "--base-url",
        help="the API's base URL, taken literally: the spec's paths go right after it (the "
        "mock's are http://127.0.0.1:8000/api/v1 for StagePro, http://127.0.0.1:8000 for Stager "
        "AI); a stagemock control plane is looked for at its origin. Default: start the mock",
    )
    p.add_argument("--api-key", help="key to test with (default: a test key of the mock)")
    p.add_argument(
        "--other-api-key", help="a second key: its objects must stay invisible to the first"
    )
    p.add_argument(
        "--console-session", help="StagePro console session token (keys/webhooks endpoints)"
    )
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--max-examples", type=int, default=25)
    p.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    p.add_argument("--junit", type=Path, help="write a JUnit XML report here")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="write every finding with its verdict (rule: documented | guess | "
                   "unspecified, and source or guess) as JSON here")
    p.add_argument("--exclude-operation", action="append", default=[], metavar="OPERATION_ID")
    p.add_argument("--include-operation", action="append", default=[], metavar="OPERATION_ID")
    p.add_argument("--no-schemathesis", action="store_true", help="property tests only")
    p.add_argument("--no-properties", action="store_true", help="schemathesis only")
    p.add_argument(
        "--check", action="append", default=[], metavar="NAME",
        help="run only this check (repeatable; --list-checks names them): schemathesis runs "
        "only if a schemathesis check is named, the property tests only if one of theirs is",
    )
    p.add_argument("--list-checks", action="store_true", help="print every check and exit")
    p.add_argument(
        "--schemathesis-config", nargs="?", const="-", metavar="FILE",
        help="print (or write to FILE) the schemathesis.toml this check runs schemathesis "
        "with, for schemathesis's own CLI (st run): the key (--api-key, --console-session, or "
        "the mock's test key) and, per operation, the refusals the spec marks "
        "x-stagemock-state-dependent; then exit without checking anything",
    )
    p.add_argument(
        "--strict-guesses", action="store_true",
        help="against a server that is not the mock, fail on rules the vendors' references do "
        "not state (x-stagemock-guess) too; by default they are only reported",
    )
    p.add_argument(
        "-x", "--fail-fast", action="store_true",
        help="stop at the first problem: schemathesis at its first failure that counts (a "
        "guess reported apart does not stop it), the property tests at their first failing "
        "test (not run at all when schemathesis found one)",
    )
    p.add_argument(
        "--job-timeout", type=float, default=120, metavar="SECONDS",
        help="how long the property tests wait for a job to end (virtual seconds against the "
        "mock, real ones elsewhere) before reporting it never completed; after one such job "
        "a server without /__mock/ is not waited for again. Default 120",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print schemathesis's own output")
    return p


def _unwritable(path: Path) -> str | None:
    """Why a report cannot be written at ``path`` (its folder must exist), or ``None``. An
    existing file is left as it is, a missing one is not left behind."""
    folder = path.parent
    if path.is_dir():
        return "is a folder; name the report file in it"
    if not folder.is_dir():
        return f"no folder {folder}" if not folder.exists() else f"{folder} is not a folder"
    existed = path.exists()
    try:  # the real test (permissions, read-only mounts, /proc): open it for appending
        with open(path, "ab"):
            pass
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    if not existed:
        path.unlink()
    return None


def _write_config(api: str, where: str, api_key: str | None, console: str | None) -> int:
    """``--schemathesis-config [FILE]``: the file on stdout (``-``) or written to FILE."""
    from .st_config import schemathesis_toml

    key = api_key or DEFAULT_KEYS[api]
    if where == "-":
        sys.stdout.write(schemathesis_toml(api, key, console_session=console))
        return 0
    path = Path(where)
    if (problem := _unwritable(path)) is not None:
        print(f"stagemock check: --schemathesis-config {path}: {problem}")
        return 2
    path.write_text(schemathesis_toml(api, key, console_session=console, file_name=str(path)))
    print(f"stagemock check: wrote {path}; run: st --config-file {path} run ... "
          "(its first lines show the whole command)")
    return 0


def check(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(list(argv))
    from . import checks

    if args.list_checks:
        for c in checks.CHECKS.values():
            apis = "" if args.api is None or args.api in c.apis else " (not this API)"
            print(f"{c.name:30} {c.kind:12} {'/'.join(c.apis):17} {c.means}{apis}")
        return 0
    if args.api is None and args.schemathesis_config in ("stagepro", "stagerai"):
        args.api, args.schemathesis_config = args.schemathesis_config, "-"  # flag before API
    if args.api is None:
        parser.error("the API to check is required: stagepro or stagerai")
    for name in args.check:
        if name not in checks.CHECKS or args.api not in checks.CHECKS[name].apis:
            print(f"stagemock check: no check {name!r} for {args.api} "
                  f"(known: {', '.join(checks.names(api=args.api))})")
            return 2
    if args.schemathesis_config is not None:
        return _write_config(args.api, args.schemathesis_config, args.api_key,
                             args.console_session)
    if args.junit is not None and (problem := _unwritable(args.junit)) is not None:
        # Found now, not after the whole run when the report is written.
        print(f"stagemock check: --junit {args.junit}: {problem}")
        return 2
    server = None
    if args.base_url:
        base = args.base_url.rstrip("/")
    else:
        from mock_server.settings import Settings
        from mock_server.testing import RunningServer

        server = RunningServer(Settings(deterministic=True)).start()
        base = base_url(server.url, args.api)
    root = origin(base)
    try:
        down = unreachable(base)
        if down is not None:
            print(f"stagemock check: nothing answers at {base} ({down})")
            return 2
        api_key = args.api_key or DEFAULT_KEYS[args.api]
        misplaced = wrong_base(args.api, base, api_key)
        if misplaced is not None:
            print(f"stagemock check: {misplaced}")
            return 2
        has_cp = probe_control_plane(root)
        keys = [("--api-key", api_key)]
        if args.other_api_key:
            keys.append(("--other-api-key", args.other_api_key))
        for flag, key in keys:
            refused = key_refused(args.api, base, key)
            if refused is not None:
                print(
                    f"stagemock check: the {API_NAMES[args.api]} API at {base} refuses the key "
                    f"{key!r} ({flag}): {refused}"
                )
                return 2
        other = args.other_api_key or (DEFAULT_OTHER_KEYS[args.api] if has_cp else None)
        console = args.console_session
        if args.api == "stagepro" and console is None and has_cp:
            import httpx

            r = httpx.post(f"{root}/__mock/console-sessions", json={"api_key": api_key}, timeout=10)
            if r.status_code == 201:
                console = r.json()["token"]
        target = Target(args.api, base, api_key, other, console, has_cp)
        from .report import run_all

        return run_all(target, args)
    finally:
        if server is not None:
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "journal-report":
        from mock_server.journal_report import main as journal_main

        return journal_main(argv[1:])
    return check(argv)


if __name__ == "__main__":
    sys.exit(main())
