"""A user's script without an ``if __name__ == "__main__":`` guard: multiprocessing would have
every image worker re-run the whole script (servers, requests, prints) as ``__mp_main__``. The
workers never import the caller's ``__main__``, so the script runs once and its image work
still runs in a worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import io
    import httpx
    from PIL import Image
    from mock_server import Settings
    from mock_server.testing import RunningServer

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buf, "JPEG")
    print("script ran", flush=True)
    with RunningServer(Settings(deterministic=True, image_workers=1)) as server:
        h = {"stager-api-key": "stager_test_demo"}
        img = httpx.post(f"{server.url}/api/image", headers=h, timeout=60,
                         files={"File": ("x.jpg", buf.getvalue(), "image/jpeg")})
        r = httpx.post(f"{server.url}/api/images/{img.json()['data']['id']}/sky-replace",
                       headers=h, timeout=60, json={"skyType": "blue", "resolution": "low"})
        print("sky-replace", r.status_code, flush=True)
        print("in the server process:", server.context.precompute.done_in_caller, flush=True)
''')


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    script = tmp_path / "quick.py"
    script.write_text(SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, check=False)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.count("script ran") == 1, out
    assert "sky-replace 200" in out, out
    assert "in the server process: 0" in out, out  # the worker did the edit
