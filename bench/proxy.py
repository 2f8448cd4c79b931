"""The proxy's overhead (part of ``make bench``; also ``python bench/proxy.py``): the same
requests to a stagemock upstream directly, through ``stagemock proxy``, and through Prism's
validating proxy (``prism proxy``, when npm could install it), in one run, loopback only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.run import PY, free_port, start, stop, wait_up, wrk  # noqa: E402

KEY = {"Authorization": "Bearer sk_test_bench_proxy"}


def _prism() -> Path | None:
    binary = BENCH / ".prism" / "node_modules" / ".bin" / "prism"
    return binary if binary.exists() else None


def bench_proxy(seconds: int) -> dict[str, Any]:
    up_port, proxy_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    mock = start([PY, "-m", "mock_server", "serve", "--port", str(up_port), "--deterministic"],
                 f"{upstream}/__mock/health")
    procs = [mock]
    try:
        job = httpx.post(f"{upstream}/api/v1/jobs", headers=KEY, timeout=30, json={
            "type": "empty-room", "input": {"image_url": "https://x.test/room.jpg"}}).json()
        path = f"/api/v1/jobs/{job['id']}"
        proxy = start([PY, "-m", "mock_server", "proxy", "stagepro", "--upstream",
                       f"{upstream}/api/v1", "--port", str(proxy_port)],
                      f"http://127.0.0.1:{proxy_port}/__mock/health")
        procs.append(proxy)
        targets = {"direct": f"{upstream}{path}",
                   "stagemock proxy": f"http://127.0.0.1:{proxy_port}{path}"}
        prism = _prism()
        if prism is not None:
            prism_port = free_port()
            p = subprocess.Popen([str(prism), "proxy", str(ROOT / "openapi" / "stagepro.yaml"),
                                  f"{upstream}/api/v1", "-p", str(prism_port), "-v", "error"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            root = f"http://127.0.0.1:{prism_port}"
            try:
                wait_up(f"{root}/capabilities", timeout=60)
                short = path.removeprefix("/api/v1")
                url = next((u for u in (f"{root}{short}", f"{root}{path}")
                            if httpx.get(u, headers=KEY, timeout=10).is_success), None)
                if url is not None:
                    targets["Prism proxy"] = url
            except RuntimeError:
                pass
        out: dict[str, Any] = {}
        for name, url in targets.items():
            out[name] = {"c32": wrk(url, headers=KEY, seconds=seconds),
                         "c2": wrk(url, headers=KEY, seconds=max(2, seconds // 2),  # wrk: -c ≥ -t (2)
                                   connections=2)}
        base = out["direct"]["c2"]["p50_ms"]
        for name in out:
            out[name]["overhead_ms"] = round(out[name]["c2"]["p50_ms"] - base, 3)
        if prism is None:
            out["prism"] = "not installed (make bench installs it with npm)"
        return out
    finally:
        for proc in reversed(procs):
            stop(proc)


def lines(result: dict[str, Any]) -> list[str]:
    """RESULTS.md's proxy table."""
    out = ["", "The proxy (GET /api/v1/jobs/{id} of a stagemock upstream; overhead: p50 at two "
           "connections minus the direct call's):", "",
           "| path | req/s at -c32 | p99 ms at -c32 | p50 ms at -c2 | overhead per request |",
           "|---|---|---|---|---|"]
    for name, r in result.items():
        if isinstance(r, dict):
            out.append(f"| {name} | {r['c32']['rps']} | {r['c32']['p99_ms']} | "
                       f"{r['c2']['p50_ms']} | {r['overhead_ms']} ms |")
    if isinstance(result.get("prism"), str):
        out.append(f"\nPrism proxy: {result['prism']}")
    return out


if __name__ == "__main__":
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    result = bench_proxy(seconds)
    print(json.dumps(result, indent=2))
    print("\n".join(lines(result)))
