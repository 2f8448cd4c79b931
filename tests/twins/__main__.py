"""``python -m tests.twins stagepro|stagerai [--port N] [--breaking] [--job-seconds S]``:
serve one twin on 127.0.0.1 by hand."""

from __future__ import annotations

import argparse

import uvicorn

from tests.twins.run import APIS, base_path, build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.twins",
                                     description="Serve a seed-literal twin on 127.0.0.1.")
    parser.add_argument("api", choices=APIS)
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--breaking", action="store_true",
                        help="break the three documented rules listed in the twin's BREAKS")
    parser.add_argument("--job-seconds", type=float, default=1.0,
                        help="wall time from a job's creation to its end (default 1)")
    args = parser.parse_args(argv)
    app = build(args.api, args.breaking, args.job_seconds)
    print(f"{args.api} twin{' (breaking)' if args.breaking else ''}: "
          f"http://127.0.0.1:{args.port}{base_path(args.api)}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
