"""An interleaved A/B of two revisions' hot paths, each against the ceiling of the same round.

    .venv/bin/python bench/ab.py [REV_A] [REV_B] [--rounds R] [--seconds S]

Defaults: ``2aeb626`` against ``HEAD``; ``.`` as a revision means this checkout as it is
(uncommitted changes included). Each revision is checked out into a temporary
``git worktree`` outside the repository (removed afterwards) and served by this checkout's
virtualenv with the bench's settings (``python -m mock_server --port N --deterministic``,
the revision's own code first on ``PYTHONPATH``). Every round starts fresh servers (so both
sides see a store of the same size), measures the bare-Starlette ceiling, then runs the same
wrk loads on A and B, alternating which goes first (A B, B A, ...). It prints each round's
req/s, p99 and ratio to the ceiling, and the median of the B/A ratios.

The machine is shared and noisy: trust the medians of the ratios, not one round's req/s.
Loopback only; every wrk run and server start is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from run import POST_BODY, bench_ceiling, free_port, measured, stop, wait_up  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
KEY = "sk_test_bench"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
#: what each side is measured on (in the order of bench/run.py), and its ceiling
LOADS = (("get_job", "get"), ("post_job", "post"), ("capabilities", "get"))


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


class Side:
    """One revision: its checkout (temporary unless ``.``) and a server started per round."""

    def __init__(self, label: str, rev: str, tmp: Path) -> None:
        self.label = label
        self.rev = rev
        self.tmp = tmp
        self.temporary = rev != "."
        if self.temporary:
            self.commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
            self.path = tmp / label
            git("worktree", "add", "--detach", str(self.path), self.commit)
        else:
            self.commit = git("rev-parse", "HEAD") + ("+changes" if git("status", "--porcelain")
                                                      else "")
            self.path = ROOT
        self.proc: subprocess.Popen[bytes] | None = None
        self.root = ""

    def start(self) -> None:
        port = free_port()
        self.root = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(self.path)}
        log = self.tmp / f"{self.label}.log"  # a file, not a pipe nobody reads under load
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                [PY, "-m", "mock_server", "--port", str(port), "--deterministic"],
                cwd=self.path, env=env, stdout=subprocess.DEVNULL, stderr=err,
            )
        try:
            wait_up(f"{self.root}/__mock/health", timeout=60)
        except RuntimeError:
            self.stop()
            text = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.label} ({self.rev}) did not start:\n{text}") from None
        where = httpx.get(f"{self.root}/__mock/health", timeout=5)
        if where.status_code != 200:
            raise RuntimeError(f"{self.label}: health answered {where.status_code}")

    def loads(self, seconds: int) -> dict[str, dict[str, Any]]:
        job = httpx.post(f"{self.root}/api/v1/jobs", content=POST_BODY, headers=AUTH,
                         timeout=10).json()
        pid = self.proc.pid if self.proc is not None else 0
        return {  # the order of bench/run.py: GET job, POST job (the store grows), capabilities
            "get_job": measured(pid, f"{self.root}/api/v1/jobs/{job['id']}", headers=AUTH,
                                seconds=seconds),
            "post_job": measured(pid, f"{self.root}/api/v1/jobs", method="POST",
                                 body=POST_BODY, headers=AUTH, seconds=seconds),
            "capabilities": measured(pid, f"{self.root}/api/v1/capabilities", headers=AUTH,
                                     seconds=seconds),
        }

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def remove(self) -> None:
        self.stop()
        if self.temporary and self.path.exists():
            git("worktree", "remove", "--force", str(self.path))


def check_imports(side: Side) -> str:
    """Where the side's server imports ``mock_server`` from (must be its own checkout)."""
    out = subprocess.run(
        [PY, "-c", "import mock_server, os; print(os.path.dirname(mock_server.__file__))"],
        cwd=side.path, env={**os.environ, "PYTHONPATH": str(side.path)},
        capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    if Path(out).resolve() != (side.path / "mock_server").resolve():
        raise RuntimeError(f"{side.label} imports mock_server from {out}, not {side.path}")
    return out


def _stop_now(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev_a", nargs="?", default="2aeb626")
    ap.add_argument("rev_b", nargs="?", default="HEAD")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: `apt-get install wrk`")
        return 2
    # SIGTERM (or SIGINT, ignored in a background job) still stops the servers and removes
    # the temporary worktrees (the finally below).
    signal.signal(signal.SIGTERM, _stop_now)
    signal.signal(signal.SIGINT, _stop_now)
    tmp = Path(tempfile.mkdtemp(prefix="stagemock-ab-"))
    sides: list[Side] = []
    rounds: list[dict[str, Any]] = []
    try:
        for label, rev in (("A", args.rev_a), ("B", args.rev_b)):
            side = Side(label, rev, tmp)
            sides.append(side)
            check_imports(side)
            print(f"{label} = {rev} ({side.commit[:12]}) at {side.path}", flush=True)
        a, b = sides
        for i in range(args.rounds):
            order = (a, b) if i % 2 == 0 else (b, a)
            t0 = time.monotonic()
            result: dict[str, Any] = {"order": "".join(s.label for s in order),
                                      "ceiling": bench_ceiling(args.seconds)}
            for side in order:
                side.start()
                try:
                    result[side.label] = side.loads(args.seconds)
                finally:
                    side.stop()
            rounds.append(result)
            report_round(i + 1, result, time.monotonic() - t0)
        summary(rounds)
        if args.json:
            args.json.write_text(json.dumps({"a": [a.rev, a.commit], "b": [b.rev, b.commit],
                                             "rounds": rounds}, indent=2) + "\n")
        return 0
    finally:
        for side in sides:
            side.remove()
        git("worktree", "prune")
        shutil.rmtree(tmp, ignore_errors=True)


def _x(r: dict[str, Any], c: dict[str, Any]) -> float:
    return r["rps"] / c["rps"] if c.get("rps") else float("nan")


def report_round(n: int, r: dict[str, Any], took: float) -> None:
    c = r["ceiling"]
    print(f"\nround {n} (order {r['order']}, {took:.0f} s): ceiling GET {c['get']['rps']} "
          f"req/s p99 {c['get']['p99_ms']} ms, POST {c['post']['rps']} req/s "
          f"p99 {c['post']['p99_ms']} ms")
    for load, base in LOADS:
        ra, rb = r["A"][load], r["B"][load]
        bad = ra["non_2xx"] + rb["non_2xx"]
        print(f"  {load:13} A {ra['rps']:>6} ({_x(ra, c[base]):.2f}×, p99 {ra['p99_ms']:>6} ms)"
              f"  B {rb['rps']:>6} ({_x(rb, c[base]):.2f}×, p99 {rb['p99_ms']:>6} ms)"
              f"  B/A {rb['rps'] / ra['rps']:.2f}  | server CPU µs/request A {ra['cpu_us']}"
              f" B {rb['cpu_us']} (ceiling {c[base]['cpu_us']})"
              + (f"  non-2xx {bad}!" if bad else ""), flush=True)


def summary(rounds: list[dict[str, Any]]) -> None:
    print(f"\nmedians over {len(rounds)} rounds:", flush=True)
    for load, base in LOADS:
        ba = [r["B"][load]["rps"] / r["A"][load]["rps"] for r in rounds]
        xa = [_x(r["A"][load], r["ceiling"][base]) for r in rounds]
        xb = [_x(r["B"][load], r["ceiling"][base]) for r in rounds]
        pa = [r["A"][load]["p99_ms"] for r in rounds]
        pb = [r["B"][load]["p99_ms"] for r in rounds]
        print(f"  {load:13} B/A {statistics.median(ba):.2f} (rounds {min(ba):.2f}–{max(ba):.2f})"
              f" | × ceiling A {statistics.median(xa):.2f} ({min(xa):.2f}–{max(xa):.2f})"
              f" B {statistics.median(xb):.2f} ({min(xb):.2f}–{max(xb):.2f})"
              f" | p99 ms A {statistics.median(pa):.2f} B {statistics.median(pb):.2f}")
        # The same comparison by the server's CPU time per request (less sensitive to load):
        # ceiling CPU / mock CPU is the ratio to the ceiling when the server is CPU-bound.
        ca = [r["A"][load]["cpu_us"] for r in rounds]
        cb = [r["B"][load]["cpu_us"] for r in rounds]
        cc = [r["ceiling"][base]["cpu_us"] for r in rounds]
        print(f"  {'':13} server CPU µs/request A {statistics.median(ca):.1f}"
              f" B {statistics.median(cb):.1f} (ceiling {statistics.median(cc):.1f})"
              f" | A/B {statistics.median(a / b for a, b in zip(ca, cb, strict=True)):.2f}"
              f" | × ceiling by CPU A {statistics.median(c / a for c, a in zip(cc, ca, strict=True)):.2f}"
              f" B {statistics.median(c / b for c, b in zip(cc, cb, strict=True)):.2f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
