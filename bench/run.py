"""``make bench``: throughput, latency, memory and image speed, side by side with the stack's
ceiling (and Prism, when npm can install it). Loopback only; every load is bounded in time.

Writes ``bench/results.json`` and ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
CONNECTIONS = 32

POST_BODY = json.dumps(
    {"type": "listing-tool", "input": {"image_url": "https://example.com/exterior.jpg",
                                         "listing_tool": "virtual-twilight"}}
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start(cmd: list[str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(url)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _lua(method: str, body: str | None, headers: dict[str, str]) -> str:
    lines = [f'wrk.method = "{method}"']
    for k, v in headers.items():
        lines.append(f'wrk.headers["{k}"] = "{v}"')
    if body is not None:
        lines.append("wrk.body = " + json.dumps(body))
    return "\n".join(lines) + "\n"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(url: str, *, method: str = "GET", body: str | None = None,
        headers: dict[str, str] | None = None, seconds: int = 5,
        connections: int = CONNECTIONS) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_lua(method, body, headers or {}))
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
            capture_output=True, text=True, timeout=seconds + 30, check=True,
        ).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rps": round(rps), "p50_ms": round(p50, 3), "p99_ms": round(p99, 3),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "requests": int(total.group(1)) if total else 0}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: The uncounted run before each measured one.
WARMUP_SECONDS = 1


def measured(pid: int, url: str, **kwargs: Any) -> dict[str, Any]:
    """A wrk run, plus the server's CPU time per request (``cpu_us``): on a shared machine
    req/s moves with whatever else runs, the CPU a request costs the server much less.
    A one-second run first, not counted: every server (the ceiling too) is measured warm, not
    while its first requests still go through cold code paths and a just-started server
    settles (the mock's image workers start in the background)."""
    wrk(url, **{**kwargs, "seconds": WARMUP_SECONDS})
    before = cpu_seconds(pid)
    result = wrk(url, **kwargs)
    used = cpu_seconds(pid) - before
    n = result.get("requests") or 0
    result["cpu_us"] = round(used / n * 1e6, 2) if n else float("nan")
    return result


def bench_ceiling(seconds: int, protocol: str = "") -> dict[str, Any]:
    """The bare-Starlette ceiling on uvicorn's own protocol (``protocol="stagemock"``: on the
    mock's, for comparison only)."""
    port = free_port()
    extra = [protocol] if protocol else []
    proc = start([PY, str(BENCH / "ceiling.py"), str(port), *extra],
                 f"http://127.0.0.1:{port}/job")
    try:
        url = f"http://127.0.0.1:{port}/job"
        # the same request headers as the mock's loads: both servers parse the same request
        headers = {"Authorization": "Bearer sk_test_bench", "Content-Type": "application/json"}
        return {
            "get": measured(proc.pid, url, headers=headers, seconds=seconds),
            "post": measured(proc.pid, url, method="POST", body=POST_BODY, headers=headers,
                             seconds=seconds),
        }
    finally:
        stop(proc)


def _sample_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1024, 768), (90, 120, 160)).save(buf, "JPEG", quality=85)
    photo = ROOT / "fixtures" / "photos" / "exterior.jpg"
    return photo.read_bytes() if photo.exists() else buf.getvalue()


def bench_mock(seconds: int) -> dict[str, Any]:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    proc = start([PY, "-m", "mock_server", "--port", str(port), "--deterministic"],
                 f"{root}/__mock/health")
    try:
        key = "sk_test_bench"
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        job = httpx.post(f"{root}/api/v1/jobs", content=POST_BODY, headers=auth).json()
        pid = proc.pid
        results = {
            "get_job": measured(pid, f"{root}/api/v1/jobs/{job['id']}", headers=auth,
                                seconds=seconds),
            "post_job": measured(pid, f"{root}/api/v1/jobs", method="POST", body=POST_BODY,
                                 headers=auth, seconds=seconds),
            "get_capabilities": measured(pid, f"{root}/api/v1/capabilities", headers=auth,
                                         seconds=seconds),
        }
        skey = {"stager-api-key": "stager_test_bench"}
        up = httpx.post(f"{root}/api/image", headers=skey,
                        files={"file": ("house.jpg", _sample_jpeg(), "image/jpeg")}, timeout=60)
        if up.status_code == 200:
            image_id = up.json()["data"]["id"]
            results["stagerai_sky_replace_low"] = wrk(
                f"{root}/api/images/{image_id}/sky-replace", method="POST",
                body=json.dumps({"skyType": "blue", "resolution": "low"}),
                headers={**skey, "Content-Type": "application/json"}, seconds=seconds,
            )
        else:
            results["stagerai_sky_replace_low"] = {"error": f"upload answered {up.status_code}"}
        return results
    finally:
        stop(proc)


def bench_memory(jobs: int, keys: int) -> dict[str, Any]:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    proc = start([PY, "-m", "mock_server", "--port", str(port), "--deterministic"],
                 f"{root}/__mock/health")
    try:
        before = rss_mb(proc.pid)
        lua = f"""
local n = 0
local total = {jobs}
request = function()
  n = n + 1
  local key = "sk_test_mem_" .. (n % {keys})
  return wrk.format("POST", "/api/v1/jobs", {{["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json"}}, {json.dumps(POST_BODY)})
end
"""
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(lua)
            script = fh.name
        start_t = time.monotonic()
        # wrk has no request-count limit: run bounded slices until the count is reached
        # (the journal's `total` counts every request the API received).
        while time.monotonic() - start_t < 300:
            sent = httpx.get(f"{root}/__mock/journal", params={"since": 10**12}).json()["total"]
            if sent >= jobs:
                break
            subprocess.run(["wrk", "-t1", "-c16", "-d2s", "-s", script, root + "/"],
                           capture_output=True, text=True, timeout=60, check=True)
        os.unlink(script)
        total_jobs = sum(
            httpx.get(f"{root}/__mock/accounts/sk_test_mem_{i}").json().get("objects", {})
            .get("jobs", 0)
            for i in range(keys)
        )
        return {"jobs": total_jobs, "keys": keys, "rss_before_mb": round(before, 1),
                "rss_after_mb": round(rss_mb(proc.pid), 1)}
    finally:
        stop(proc)


LONG_KEY = "sk_test_longrun"


def _jobs_of(root: str, key: str) -> int:
    data = httpx.get(f"{root}/__mock/accounts/{key}", timeout=30).json()
    return int(data.get("objects", {}).get("jobs", 0))


def _long_side(jobs: int, seconds: int, limit_s: float) -> dict[str, Any]:
    """One server: grow one key's store to ``jobs`` jobs (0: a fresh store) with bounded wrk
    slices of POST /jobs at -c32, then measure GET and POST job at -c32 on that store."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    proc = start([PY, "-m", "mock_server", "--port", str(port), "--deterministic"],
                 f"{root}/__mock/health")
    try:
        auth = {"Authorization": f"Bearer {LONG_KEY}", "Content-Type": "application/json"}
        first = httpx.post(f"{root}/api/v1/jobs", content=POST_BODY, headers=auth).json()
        out: dict[str, Any] = {"rss_start_mb": round(rss_mb(proc.pid), 1)}
        t0 = time.monotonic()
        held = _jobs_of(root, LONG_KEY)
        slices = []
        seconds_per_slice = 5
        while held < jobs and time.monotonic() - t0 < limit_s:
            slices.append(wrk(f"{root}/api/v1/jobs", method="POST", body=POST_BODY,
                              headers=auth, seconds=seconds_per_slice))
            held = _jobs_of(root, LONG_KEY)
            # the last slices shorter, so the store stops near the target (wrk counts time)
            rate = max(slices[-1]["rps"], 1)
            seconds_per_slice = max(1, min(5, round((jobs - held) / rate)))
            print(f"  {held} jobs after {time.monotonic() - t0:.0f} s "
                  f"(last slice {slices[-1]['rps']} req/s, p99 {slices[-1]['p99_ms']} ms, "
                  f"RSS {rss_mb(proc.pid):.0f} MB)", flush=True)
        out.update({"jobs_before": held, "grow_s": round(time.monotonic() - t0, 1),
                    "reached": held >= jobs, "rss_grown_mb": round(rss_mb(proc.pid), 1)})
        if slices:
            out["grow_slices"] = len(slices)
            out["grow_worst_p99_ms"] = max(r["p99_ms"] for r in slices)
            out["grow_last"] = slices[-1]
        out["get_job"] = wrk(f"{root}/api/v1/jobs/{first['id']}", headers=auth,
                             seconds=seconds)
        out["post_job"] = wrk(f"{root}/api/v1/jobs", method="POST", body=POST_BODY,
                              headers=auth, seconds=seconds)
        out["jobs_after"] = _jobs_of(root, LONG_KEY)
        out["rss_end_mb"] = round(rss_mb(proc.pid), 1)
        return out
    finally:
        stop(proc)


def bench_long_run(jobs: int, seconds: int, limit_s: float) -> dict[str, Any]:
    """``--long-run``: the store of one key grown to ``jobs`` jobs against a fresh store,
    each with the ceiling measured next to it."""
    print("long run: ceiling...", flush=True)
    ceiling = bench_ceiling(seconds)
    print("long run: fresh store...", flush=True)
    fresh = _long_side(0, seconds, limit_s)
    print(f"long run: growing one key to {jobs} jobs (at most {limit_s:.0f} s)...", flush=True)
    grown = _long_side(jobs, seconds, limit_s)
    return {"target_jobs": jobs, "seconds": seconds, "limit_s": limit_s,
            "ceiling": ceiling, "fresh": fresh, "grown": grown}


def write_long_report(results: dict[str, Any]) -> None:
    lr = results["long_run"]
    (BENCH / "results-long.json").write_text(json.dumps(results, indent=2) + "\n")
    c, fresh, grown = lr["ceiling"], lr["fresh"], lr["grown"]
    lines = [
        "# Long-run results", "",
        f"Measured {results['date']} on {results['machine']['cpus']} cores "
        f"({results['machine']['platform']}) by `make bench-long` (`bench/run.py --long-run`): "
        f"one key's store grown with POST /jobs (wrk -c{CONNECTIONS}, slices of 1–5 s, at most "
        f"{lr['limit_s']:.0f} s) to {lr['target_jobs']} jobs, then GET and POST job at "
        f"-c{CONNECTIONS} for {lr['seconds']} s, beside a fresh store and the ceiling.", "",
        "| store | endpoint | req/s | p50 ms | p99 ms | × ceiling | non-2xx | target |",
        "|---|---|---|---|---|---|---|---|",
        f"| — | ceiling GET / POST | {c['get']['rps']} / {c['post']['rps']} | "
        f"{c['get']['p50_ms']} / {c['post']['p50_ms']} | {c['get']['p99_ms']} / "
        f"{c['post']['p99_ms']} | 1.00 | | |",
    ]
    for name, side in (("fresh", fresh), (f"{grown['jobs_before']} jobs", grown)):
        for key, label, base in (("get_job", "GET /api/v1/jobs/{id}", "get"),
                                 ("post_job", "POST /api/v1/jobs", "post")):
            r = side[key]
            target = max_text("long_p99_ms", r["p99_ms"], "ms (p99)") if side is grown else ""
            lines.append(f"| {name} | {label} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | "
                         f"{ratio(r, c[base])} | {r['non_2xx']} | {target} |")
    reached = "" if grown["reached"] else (
        f" (**not reached** within {lr['limit_s']:.0f} s: {grown['jobs_before']} jobs)")
    lines += [
        "", "| measure | value | target |", "|---|---|---|",
        f"| time to grow one key to {lr['target_jobs']} jobs{reached} | {grown['grow_s']} s | |",
        f"| worst p99 of the growing slices ({grown.get('grow_slices', 0)} slices) | "
        f"{grown.get('grow_worst_p99_ms', 'n/a')} ms | |",
        f"| RSS with {grown['jobs_before']} jobs (fresh: {fresh['rss_start_mb']} MB) | "
        f"{grown['rss_grown_mb']} MB | {max_text('long_rss_mb', grown['rss_grown_mb'], 'MB')} |",
        f"| RSS at the end ({grown['jobs_after']} jobs: past the target, after the POST "
        f"run) | {grown['rss_end_mb']} MB | |",
        "", "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()), "",
    ]
    (BENCH / "LONG-RUN.md").write_text("\n".join(lines))


def bench_images() -> dict[str, Any]:
    from mock_server.core.precompute import keep_freed_memory
    from mock_server.images import hdr, render

    keep_freed_memory()  # as in the image workers, where renders and merges run

    src = render.synthetic_photo("bench-room", "interior", (1024, 768))
    render.render_stagepro(src, job_type="virtual-stage", style="modern", room_type="living-room")
    times = []
    for i in range(10):
        t = time.perf_counter()
        render.render_stagepro(src, job_type="virtual-stage", style="modern",
                               room_type="living-room", variation=i)
        times.append(time.perf_counter() - t)
    from mock_server.images.work import stagepro_output

    params = {"job_type": "virtual-stage", "style": "modern", "room_type": "living-room"}
    end_to_end = []
    for i in range(10):  # a job whose input is a URL: synthetic source photo + render
        t = time.perf_counter()
        stagepro_output(None, f"https://example.com/room-{i}.jpg", None, "", params)
        end_to_end.append(time.perf_counter() - t)
    brackets = []
    base = render.synthetic_photo("bench-hdr", "interior", (2048, 1365))
    for ev in (-2, -1, 0, 1, 2):
        img = base.point(lambda v, ev=ev: max(0, min(255, int(v * (2 ** ev) ** 0.5))))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        brackets.append(buf.getvalue())
    t = time.perf_counter()
    hdr.merge_brackets(brackets, lens_correction=True, perspective_correction=True)
    merge = time.perf_counter() - t
    return {"render_1024x768_ms": round(sorted(times)[len(times) // 2] * 1000, 1),
            "job_output_from_url_ms": round(sorted(end_to_end)[len(end_to_end) // 2] * 1000, 1),
            "merge_5x2048x1365_s": round(merge, 3)}


def bench_completions(jobs: int = 300, keys: int = 60, seconds: float = 12.0) -> dict[str, Any]:
    """Wall-clock mode while many jobs complete: a probe request every 5 ms measures how long
    the server makes others wait (image work must stay off the event loop)."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    proc = start([PY, "-m", "mock_server", "--port", str(port), "--job-seconds", "2"],
                 f"{root}/__mock/health")
    body = {"type": "virtual-stage", "input": {"image_url": "https://example.com/room.jpg",
                                               "style": "modern", "room_type": "living-room"}}
    try:
        with httpx.Client(timeout=30) as client:
            for i in range(jobs):
                client.post(f"{root}/api/v1/jobs", json=body,
                            headers={"Authorization": f"Bearer sk_test_done{i % keys}"})
            probe = {"Authorization": "Bearer sk_test_probe"}
            latencies = []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                t = time.perf_counter()
                client.get(f"{root}/api/v1/capabilities", headers=probe)
                latencies.append((time.perf_counter() - t) * 1000)
                time.sleep(0.005)
            completed = sum(
                j["status"] == "completed"
                for i in range(keys)
                for j in client.get(f"{root}/api/v1/jobs", params={"limit": 100}, headers={
                    "Authorization": f"Bearer sk_test_done{i}"}).json()["data"]
            )
        latencies.sort()
        return {"jobs": jobs, "keys": keys, "probes": len(latencies), "completed": completed,
                "probe_p99_ms": round(latencies[int(len(latencies) * 0.99)], 1),
                "probe_max_ms": round(latencies[-1], 1)}
    finally:
        stop(proc)


def bench_contract() -> dict[str, Any]:
    t = time.perf_counter()
    proc = subprocess.run([PY, "-m", "contract_tests", "stagepro"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800, check=False)
    return {"wall_s": round(time.perf_counter() - t, 1), "exit_code": proc.returncode}


LOOP_TIMER = """
import time, pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    t = time.perf_counter()
    try:
        return (yield)
    finally:
        with open("loop.txt", "w") as f:
            f.write(str(time.perf_counter() - t))
"""


def bench_plugin(tests: int = 200) -> dict[str, Any]:
    """What the pytest plugin costs a test before its first request: the test loop of N empty
    tests that take ``stagepro_mock``, less that of one such test (the server starts once
    either way), over N - 1; and the plugin's import alone (pytest loads it in every run
    wherever stagemock is installed)."""

    def loop_seconds(folder: Path, count: int, fixture: str) -> float:
        (folder / "test_n.py").write_text(
            "".join(f"def test_{i}({fixture}):\n    pass\n\n" for i in range(count)))
        best = float("inf")
        for _ in range(3):
            subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_n.py"],
                           cwd=folder, capture_output=True, check=True, timeout=300)
            best = min(best, float((folder / "loop.txt").read_text()))
        return best

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "conftest.py").write_text(LOOP_TIMER)
        without = loop_seconds(folder, tests, "")
        with_fixture = loop_seconds(folder, tests, "stagepro_mock")
        single = loop_seconds(folder, 1, "stagepro_mock")
    imports = []
    for _ in range(5):
        out = subprocess.run(
            [PY, "-c", "import time, pytest; t = time.perf_counter(); "
             "import mock_server.pytest_plugin; print(time.perf_counter() - t)"],
            capture_output=True, text=True, check=True, timeout=60).stdout
        imports.append(float(out))
    return {
        "tests": tests,
        "without_s": round(without, 3),
        "with_fixture_s": round(with_fixture, 3),
        "one_test_with_fixture_s": round(single, 3),
        "per_test_ms": round((with_fixture - single) / (tests - 1) * 1000, 2),
        "plugin_import_ms": round(min(imports) * 1000, 1),
    }


def bench_prism(seconds: int) -> dict[str, Any]:
    prism_dir = BENCH / ".prism"
    binary = prism_dir / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        if not shutil.which("npm"):
            return {"skipped": "npm not found"}
        prism_dir.mkdir(exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", str(prism_dir), "--no-audit", "--no-fund",
                            "@stoplight/prism-cli@5"], capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not binary.exists():
            return {"skipped": "npm install @stoplight/prism-cli failed: " + r.stderr[-300:]}
    port = free_port()
    proc = subprocess.Popen([str(binary), "mock", str(ROOT / "openapi" / "stagepro.yaml"), "-p",
                             str(port), "-v", "error"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        root = f"http://127.0.0.1:{port}"
        wait_up(f"{root}/capabilities", timeout=60)
        auth = {"Authorization": "Bearer sk_test_bench"}
        # Prism serves the spec's paths without the servers' /api/v1 prefix; probe both and
        # load the one that answers 2xx (a 404 run would measure Prism's error path).
        job = "job_3kTMd9vQ2xZr8pLw1NcY"
        url = next((u for u in (f"{root}/api/v1/jobs/{job}", f"{root}/jobs/{job}")
                    if httpx.get(u, headers=auth, timeout=10).is_success), None)
        if url is None:
            return {"skipped": "Prism answered no 2xx for GET /jobs/{id}"}
        return {"get_job": {**wrk(url, headers=auth, seconds=seconds), "url": url}}
    except RuntimeError as exc:
        return {"skipped": str(exc)}
    finally:
        stop(proc)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("starlette", "uvicorn", "uvloop", "httptools", "orjson", "jsonschema-rs",
                "pillow", "numpy", "schemathesis"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            out[pkg] = "?"
    wrk_v = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    out["wrk"] = wrk_v.split()[1] if wrk_v else "?"
    return out


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return round(a["rps"] / b["rps"], 2) if b.get("rps") else float("nan")


#: What each figure must reach (issue 25): a ratio to the ceiling of the same run (``min_x``),
#: a p99 (``max_p99_ms``). ``make bench`` prints each beside its figure and marks a miss.
TARGETS: dict[str, dict[str, float]] = {
    "get_job": {"min_x": 0.85, "max_p99_ms": 5.0},
    "post_job": {"min_x": 0.7, "max_p99_ms": 5.0},
    "get_capabilities": {"min_x": 1.0},
}
#: Other measures' ceilings (value ≤ target).
MAX_TARGETS = {
    "rss_after_mb": 300.0, "render_1024x768_ms": 50.0, "merge_5x2048x1365_s": 1.5,
    "plugin_per_test_ms": 5.0, "plugin_import_ms": 50.0,
    # --long-run: one key holding 250,000 jobs
    "long_p99_ms": 5.0, "long_rss_mb": 400.0,
}
MISS = "**MISS**"


def target_text(key: str, x: float, p99: float) -> str:
    """``≥ 0.7× ✓, p99 ≤ 5 ms MISS`` for a row of the table ('' when it has no target)."""
    t = TARGETS.get(key)
    if not t:
        return ""
    parts = []
    if "min_x" in t:
        ok = x == x and x >= t["min_x"]  # NaN fails
        parts.append(f"≥ {t['min_x']}× " + ("✓" if ok else MISS))
    if "max_p99_ms" in t:
        ok = p99 <= t["max_p99_ms"]
        parts.append(f"p99 ≤ {t['max_p99_ms']:g} ms " + ("✓" if ok else MISS))
    return ", ".join(parts)


def max_text(key: str, value: Any, unit: str) -> str:
    """``≤ 300 MB ✓`` (or the miss) for a measure with a ceiling."""
    limit = MAX_TARGETS[key]
    if not isinstance(value, int | float):
        return f"≤ {limit:g} {unit}"
    return f"≤ {limit:g} {unit} " + ("✓" if value <= limit else MISS)


def print_targets(results: dict[str, Any]) -> None:
    """Each figure beside its target on the console, misses marked."""
    c, m = results["ceiling"], results["mock"]
    print("\ntargets (ratios to the ceiling of this run):")
    for key, base in (("get_job", "get"), ("post_job", "post"), ("get_capabilities", "get")):
        r = m.get(key, {})
        if "rps" not in r:
            print(f"  {key:18} not measured  {MISS}")
            continue
        x = ratio(r, c[base])
        print(f"  {key:18} {r['rps']:>7} req/s  {x:.2f}×  p99 {r['p99_ms']:.2f} ms   "
              f"{target_text(key, x, r['p99_ms'])}")


def _cpu(r: dict[str, Any], base: dict[str, Any] | None = None) -> str:
    """The server's CPU time per request, and the ceiling's over it (what the ratio would be
    were the server alone on its core: far steadier than req/s on a shared machine)."""
    us = r.get("cpu_us")
    if not isinstance(us, int | float) or us != us:
        return ""
    if base is None or not isinstance(base.get("cpu_us"), int | float):
        return f"{us:.1f}"
    return f"{us:.1f} ({base['cpu_us'] / us:.2f}×)"


def write_report(results: dict[str, Any]) -> None:
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    c, m = results["ceiling"], results["mock"]
    lines = [
        "# Benchmark results", "",
        f"Measured {results['date']} on {results['machine']['cpus']} cores "
        f"({results['machine']['platform']}), one uvicorn worker with uvloop: the mock on its "
        f"own HTTP/1.1 protocol (`mock_server/serving/`), the ceiling on uvicorn's httptools "
        f"protocol as a plain Starlette app is served; "
        f"wrk -t2 -c{CONNECTIONS}, {results['seconds']} s per run, loopback only.", "",
        "| endpoint | req/s | p50 ms | p99 ms | × ceiling | non-2xx | target "
        "| server CPU µs/req (× ceiling) |",
        "|---|---|---|---|---|---|---|---|",
        f"| ceiling GET (bare Starlette) | {c['get']['rps']} | {c['get']['p50_ms']} | {c['get']['p99_ms']} | 1.00 | {c['get']['non_2xx']} | | {_cpu(c['get'])} |",
        f"| ceiling POST (bare Starlette) | {c['post']['rps']} | {c['post']['p50_ms']} | {c['post']['p99_ms']} | 1.00 | {c['post']['non_2xx']} | | {_cpu(c['post'])} |",
    ]
    cs = results.get("ceiling_stagemock_protocol")
    if cs:  # the same bare app on the mock's protocol: what the protocol alone is worth
        for method in ("get", "post"):
            r = cs[method]
            lines.append(
                f"| ceiling {method.upper()} on the mock's protocol | {r['rps']} | {r['p50_ms']} "
                f"| {r['p99_ms']} | {ratio(r, c[method])} | {r['non_2xx']} | | "
                f"{_cpu(r, c[method])} |")
    rows = [("GET /api/v1/jobs/{id}", "get_job", "get"),
            ("POST /api/v1/jobs", "post_job", "post"),
            ("GET /api/v1/capabilities", "get_capabilities", "get"),
            ("POST /api/images/{id}/sky-replace (low)", "stagerai_sky_replace_low", "post")]
    for label, key, base in rows:
        r = m.get(key, {})
        if "rps" in r:
            x = ratio(r, c[base])
            lines.append(f"| {label} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | "
                         f"{x} | {r['non_2xx']} | {target_text(key, x, r['p99_ms'])} | "
                         f"{_cpu(r, c[base])} |")
        else:
            target = target_text(key, float("nan"), float("inf"))
            lines.append(f"| {label} | {r.get('error', 'n/a')} | | | | | {target} | |")
    p = results.get("prism", {})
    if "get_job" in p:
        lines.append(f"| Prism GET /jobs/{{id}} (`-v error`) | {p['get_job']['rps']} | "
                     f"{p['get_job']['p50_ms']} | {p['get_job']['p99_ms']} | "
                     f"{ratio(p['get_job'], c['get'])} | {p['get_job']['non_2xx']} | | |")
        lines += ["", f"stagemock GET job / Prism GET job: "
                      f"**{ratio(m['get_job'], p['get_job'])}×**"]
    else:
        lines += ["", f"Prism: {p.get('skipped', 'not run')}"]
    mem, img, con = results["memory"], results["images"], results["contract"]
    lines += [
        "", "| measure | value | target |", "|---|---|---|",
        f"| RSS after {mem['jobs']} jobs across {mem['keys']} keys | {mem['rss_after_mb']} MB "
        f"(at start {mem['rss_before_mb']} MB) | {max_text('rss_after_mb', mem['rss_after_mb'], 'MB')} |",
        f"| one 1024×768 output image | {img['render_1024x768_ms']} ms | "
        f"{max_text('render_1024x768_ms', img['render_1024x768_ms'], 'ms')} |",
        f"| the same, input an `image_url` (synthetic source photo + render) | "
        f"{img.get('job_output_from_url_ms', 'n/a')} ms | |",
        f"| merge of 5 brackets 2048×1365 | {img['merge_5x2048x1365_s']} s | "
        f"{max_text('merge_5x2048x1365_s', img['merge_5x2048x1365_s'], 's')} |",
        f"| `stagemock check stagepro` (defaults) | {con['wall_s']} s (exit {con['exit_code']}) | |",
    ]
    plug = results.get("plugin", {})
    if "per_test_ms" in plug:
        lines += [
            f"| pytest plugin: test loop of {plug['tests']} empty tests with `stagepro_mock` vs "
            f"without | {plug['with_fixture_s']} s vs {plug['without_s']} s (one test with it, "
            f"server start included: {plug['one_test_with_fixture_s']} s): "
            f"**{plug['per_test_ms']} ms a test** | "
            f"{max_text('plugin_per_test_ms', plug['per_test_ms'], 'ms')} |",
            f"| importing the pytest plugin | {plug['plugin_import_ms']} ms | "
            f"{max_text('plugin_import_ms', plug['plugin_import_ms'], 'ms')} |",
        ]
    comp = results.get("completions", {})
    if "probes" in comp:
        lines += [
            f"| a request every 5 ms while {comp['jobs']} jobs over {comp['keys']} keys complete "
            f"(wall clock; {comp['completed']} completed by the end) | p99 "
            f"{comp['probe_p99_ms']} ms, worst {comp['probe_max_ms']} ms | |",
        ]
    proxy = results.get("proxy", {})
    if "direct" in proxy:
        from bench.proxy import lines as proxy_lines

        lines += proxy_lines(proxy)
    elif proxy:
        lines += ["", f"The proxy: {proxy.get('skipped', 'not run')}"]
    lines += [
        "", "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()), "",
    ]
    (BENCH / "RESULTS.md").write_text("\n".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--keys", type=int, default=1_000)
    ap.add_argument("--skip", action="append", default=[],
                    choices=["prism", "proxy", "memory", "contract", "images", "completions",
                             "plugin"])
    ap.add_argument("--long-run", action="store_true",
                    help="only the long run: one key grown to --long-jobs jobs, then GET and "
                    "POST job against a fresh store (writes bench/LONG-RUN.md)")
    ap.add_argument("--long-jobs", type=int, default=250_000)
    ap.add_argument("--long-limit", type=float, default=900.0,
                    help="seconds the store may take to grow (the run stays bounded)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: `apt-get install wrk` (make bench does it when it can)")
        return 2
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "seconds": args.seconds, "versions": _versions(),
    }
    if args.long_run:
        results["long_run"] = bench_long_run(args.long_jobs, args.seconds, args.long_limit)
        write_long_report(results)
        print((BENCH / "LONG-RUN.md").read_text())
        return 0
    print("ceiling...", flush=True)
    results["ceiling"] = bench_ceiling(args.seconds)
    print("ceiling on the mock's protocol...", flush=True)
    results["ceiling_stagemock_protocol"] = bench_ceiling(args.seconds, "stagemock")
    print("mock...", flush=True)
    results["mock"] = bench_mock(args.seconds)
    print("images...", flush=True)
    results["images"] = bench_images() if "images" not in args.skip else {
        "render_1024x768_ms": "skipped", "merge_5x2048x1365_s": "skipped"}
    print("memory...", flush=True)
    results["memory"] = bench_memory(args.jobs, args.keys) if "memory" not in args.skip else {
        "jobs": 0, "keys": 0, "rss_before_mb": "skipped", "rss_after_mb": "skipped"}
    print("completions...", flush=True)
    results["completions"] = bench_completions() if "completions" not in args.skip else {
        "skipped": "--skip completions"}
    print("plugin...", flush=True)
    results["plugin"] = bench_plugin() if "plugin" not in args.skip else {
        "skipped": "--skip plugin"}
    print("contract...", flush=True)
    results["contract"] = bench_contract() if "contract" not in args.skip else {
        "wall_s": "skipped", "exit_code": "-"}
    print("prism...", flush=True)
    results["prism"] = bench_prism(args.seconds) if "prism" not in args.skip else {
        "skipped": "--skip prism"}
    print("proxy...", flush=True)
    if "proxy" in args.skip:
        results["proxy"] = {"skipped": "--skip proxy"}
    else:
        sys.path.insert(0, str(ROOT))
        from bench.proxy import bench_proxy  # after Prism: its install serves both

        results["proxy"] = bench_proxy(args.seconds)
    write_report(results)
    print((BENCH / "RESULTS.md").read_text())
    print_targets(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
