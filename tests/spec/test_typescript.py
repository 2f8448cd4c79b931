"""Types a generator can use: openapi-typescript (installed from npm into .venv, like Redocly
in test_specs.py; skipped without node) over both specs gives no ``unknown`` where the answer
has a known shape. A schema that only adds constraints (``required`` in a choice's branch,
a secret that must be absent) gives ``unknown`` to a generator; each restates its fields by
reference (``properties: {image_url: {$ref: ImageUrl}}``, ``secret: false``), which keeps
the base type and validates the same.

``REMAINING`` names what still gives ``unknown``, and why; the test fails on any other, and
on an entry that no longer does (so the list only shrinks)."""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = "7.9.1"
TOOL_DIR = ROOT / ".venv" / "openapi-typescript"

#: Where openapi-typescript still writes ``unknown``: (spec, enclosing type) → why.
REMAINING = {
    ("stagerai", "schemas.UploadImageRequest"): "each branch restates its part as `true` "
    "(`File: unknown`, which the base's `File?: string` narrows to a string): restated by "
    "reference to the binary type, schemathesis's coverage phase stops on the binary value",
}
#: openapi-typescript's own open header maps: any header may come, none has a known shape.
HEADER_MAP = re.compile(r"^\s*\[name: string\]: unknown;$")


#: The tests of this file share one install: on one xdist worker (``--dist loadgroup``).
pytestmark = pytest.mark.xdist_group("openapi-typescript")


def _tool() -> Path:
    """The installed tool; installed first if need be. The stamp is written only once npm is
    done, so a half-finished install (another process's, or one cut short) is never run."""
    binary = TOOL_DIR / "node_modules" / ".bin" / "openapi-typescript"
    stamp = TOOL_DIR / f"installed-{VERSION}"
    if stamp.exists() and binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node/npm not installed: openapi-typescript not run")
    TOOL_DIR.mkdir(parents=True, exist_ok=True)
    with (TOOL_DIR / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process installing: wait for it
        if stamp.exists() and binary.exists():
            return binary
        proc = subprocess.run(
            [npm, "install", "--prefix", str(TOOL_DIR), "--cache",
             str(ROOT / ".venv" / "npm-cache"), "--no-audit", "--no-fund",
             f"openapi-typescript@{VERSION}"],
            capture_output=True, text=True, timeout=120, check=False,
        )
        if proc.returncode != 0 or not binary.exists():
            pytest.skip(f"npm could not install openapi-typescript (offline?): "
                        f"{proc.stderr[-500:]}")
        stamp.touch()
    return binary


def unknowns(source: str) -> list[tuple[str, str]]:
    """(enclosing type, line) of each ``unknown`` in generated code, outside comments and
    header maps. The enclosing type is ``schemas.<Name>`` or ``operations.<id>``."""
    out, section, name = [], "", ""
    for line in source.splitlines():
        top = re.match(r"^    (\w+): \{", line)  # components' sections, operations' ids
        if top:
            section = top.group(1)
        inner = re.match(r"^        (\w+): ", line)
        if inner:
            name = inner.group(1)
        if re.match(r"^export interface (\w+)", line):
            section = line.split()[2]
        stripped = line.strip()
        if stripped.startswith(("*", "/*", "//")) or HEADER_MAP.match(line):
            continue
        if re.search(r"\bunknown\b", line):
            where = f"{section}.{name}" if section in ("schemas",) else f"operations.{section}"
            out.append((where, stripped))
    return out


def test_unknowns_reads_tails_not_comments_nor_header_maps():
    code = ("export interface components {\n    schemas: {\n        Job: {\n"
            "            /** @description an unknown id */\n            id: string;\n"
            "        } & (unknown | unknown);\n        Key: {\n"
            "            [name: string]: unknown;\n        };\n")
    assert unknowns(code) == [("schemas.Job", "} & (unknown | unknown);")]


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_generated_types_have_no_unknown_where_the_shape_is_known(api, tmp_path):
    out = tmp_path / f"{api}.ts"
    proc = subprocess.run([str(_tool()), str(ROOT / "openapi" / f"{api}.yaml"), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    source = out.read_text()
    found = {where for where, _ in unknowns(source)}
    expected = {where for spec, where in REMAINING if spec == api}
    assert found - expected == set(), [u for u in unknowns(source) if u[0] not in expected]
    assert expected - found == set(), "no longer unknown: drop from REMAINING"
    # the constraint-only schemas reworked keep their types
    if api == "stagepro":
        assert 'ApiKeyCreated: components["schemas"]["ApiKey"] & {' in source
        assert "image_url: components[\"schemas\"][\"ImageUrl\"];" in source
        assert "secret?: never;" in source
        # the rules by status are a discriminated union: a completed job's output is typed,
        # never null, and an SSE event's data is its JSON text
        completed = _block(source, "JobCompleted")
        assert 'status: "completed";' in completed, completed
        assert 'output?: components["schemas"]["JobOutput"];' in completed, completed
        assert "null" not in completed.split("output?:", 1)[1].split(";", 1)[0], completed
        assert 'components["schemas"]["JobCompleted"]' in _block(source, "Job")
        assert "data?: unknown" not in _block(source, "AgentStreamEvent")
    else:
        assert "File?: string;" in source and "file?: string;" in source


def _block(source: str, name: str) -> str:
    """The generated type of component schema ``name``."""
    return source.split(f"\n        {name}: ", 1)[1].split("\n        };", 1)[0]


@pytest.mark.parametrize("api", ["stagepro", "stagerai"])
def test_429_and_5xx_bodies_have_a_type(api, tmp_path):
    """Every operation types its 429 and 5xx answers (``"429"`` and the range key ``"5XX"``)
    by the API's own error envelope (GCS's XML error for the signed storage URLs), with an
    optional numeric ``Retry-After``: a generated client reads ``error.code`` of a
    ``rate_limited`` without a cast."""
    import yaml

    out = tmp_path / f"{api}.ts"
    proc = subprocess.run([str(_tool()), str(ROOT / "openapi" / f"{api}.yaml"), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    source = out.read_text()
    document = yaml.safe_load((ROOT / "openapi" / f"{api}.yaml").read_text())
    ops = [(path, op) for path, item in document["paths"].items() for op in item.values()
           if isinstance(op, dict) and "responses" in op]
    gcs = sum(1 for path, _ in ops if path.startswith("/gcs/"))
    envelope = "Error" if api == "stagepro" else "ErrorResponse"
    assert source.count('429: components["responses"]["TooManyRequests"];') == len(ops) - gcs
    assert source.count('"5XX": components["responses"]["ServerError"];') == len(ops) - gcs
    assert source.count('429: components["responses"]["GcsTooManyRequests"];') == gcs
    assert source.count('"5XX": components["responses"]["GcsServerError"];') == gcs
    for name in ("TooManyRequests", "ServerError"):
        block = source.split(f"\n        {name}: {{\n", 1)[1].split("\n        };", 1)[0]
        assert f'"application/json": components["schemas"]["{envelope}"];' in block, block
        assert '"Retry-After"?: number;' in block, block
