"""The shell examples of README and docs work as printed (issue 18).

Every fenced ``sh`` block of README.md and of ``docs/*.md`` is run, command by command, in one
``bash`` per block against one live deterministic mock, file after file (README first). The
only rewrites are the ones a reader does by hand:

- the host and port (``localhost:8000`` / ``127.0.0.1:8000``) become the test server's, and
  the webhook receiver's port (``--port 9000``, ``127.0.0.1:9000``) a free one;
- placeholders (``JOB_ID``, ``PROJECT_ID``, ``GROUP_ID``, ...) become ids from the responses
  printed before them in the same file, in file order (the latest response that carries one
  fills it): each page's examples stand on their own.

``curl`` is wrapped by a shell function that runs the real curl with ``-sS -o FILE -w
'%{http_code}'``, prints the body as curl would, and records the status: every request must
answer 2xx and every command must exit 0, else the test fails naming the file, the block and the line.
Commands that start servers, install packages or run long suites are skipped by the small
allow-list below, each with its reason; a process a block starts in the background
(``stagemock webhook-receiver ... &``) runs for real and ends with its block. Afterwards the mock's journal must show every request
conformant and every operation of both vendor specs answered 2xx at least once (over all the
files together), so each operation keeps a working example.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mock_server.settings import Settings
from mock_server.testing import RunningServer

ROOT = Path(__file__).resolve().parents[1]
SHELL_FENCES = ("```sh", "```bash", "```shell")
README = ROOT / "README.md"
DOCS = ROOT / "docs"
COMMAND_TIMEOUT = 30.0

# Commands README and docs show but this test must not run: (prefix, reason).
SKIPPED = (
    ("make serve", "starts the server (the test runs its own)"),
    ("make test", "runs every test, this one included"),
    ("stagemock serve", "starts the server (the test runs its own)"),
    ("pip install", "installs packages (the venv is already set up)"),
    ("stagemock mcp", "starts the MCP server (tests/mcp covers it)"),
    ("stagemock check", "runs the contract suite for minutes (tests/contract covers it)"),
    ("st --config-file", "runs schemathesis for a minute (tests/contract/test_raw_cli.py runs it "
     "with the file --schemathesis-config writes)"),
    ("make image", "builds the container image (tests/container builds it with buildah)"),
    ("docker run", "needs a Docker daemon (tests/container runs the image with buildah)"),
)

# Placeholder -> how a response fills it: the top-level "id" with a prefix, or a named field.
ID_PREFIXES = {
    "job_": "JOB_ID",
    "bat_": "BATCH_ID",
    "wf_": "WORKFLOW_ID",
    "upl_": "UPLOAD_ID",
    "ags_": "SESSION_ID",
    "project_": "PROJECT_ID",
    "img_": "IMAGE_ID",
    "we_": "WEBHOOK_ID",
}
FIELDS = {
    "groupId": "GROUP_ID",
    "uploadUrl": "UPLOAD_URL",
    "imageUrl": "IMAGE_URL",
    "token": "TOKEN",
}
PLACEHOLDERS = sorted({*ID_PREFIXES.values(), *FIELDS.values()}, key=len, reverse=True)

CURL_WRAPPER = r"""
set -o pipefail
__readme_curl() {
  local out code rc
  out=$(mktemp -p "$__RD")
  case " $* " in
    *" -o "*|*" --output "*|*" -O "*|*" --remote-name "*)  # the example saves the body itself
      code=$(command curl -sS -w '%{http_code}' "$@") ;;
    *) code=$(command curl -sS -o "$out" -w '%{http_code}' "$@") ;;
  esac
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$__LINE" "$rc" "$code" "$out" >> "$__RD/log"
  cat "$out"
  [ "$rc" -eq 0 ] || return "$rc"
  case "$code" in 2??) return 0 ;; *) return 22 ;; esac
}
curl() { __readme_curl "$@"; }
"""


@dataclass
class Command:
    file: str  # the file, relative to the checkout (README.md, docs/stagepro.md, ...)
    block: int  # 1-based index of the sh block in that file
    line: int  # the file's line of the command's first line
    text: str

    @property
    def where(self) -> str:
        return f"{self.file} sh block {self.block}, line {self.line}"


def example_files() -> list[Path]:
    """README first, then every page of docs/ in name order."""
    return [README, *sorted(DOCS.glob("*.md"))]


def _complete(text: str) -> bool:
    return subprocess.run(["bash", "-n", "-c", text], capture_output=True).returncode == 0


def sh_blocks(path: Path = README) -> list[list[Command]]:
    """Every fenced ``sh`` block of one markdown file, split into complete shell commands."""
    name = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[list[Command]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() in SHELL_FENCES:
            n = len(blocks) + 1
            commands: list[Command] = []
            buf: list[str] = []
            start = 0
            i += 1
            while lines[i].strip() != "```":
                if not buf:
                    if not lines[i].strip() or lines[i].lstrip().startswith("#"):
                        i += 1
                        continue
                    start = i + 1
                buf.append(lines[i])
                text = "\n".join(buf)
                if not text.endswith("\\") and _complete(text):
                    commands.append(Command(name, n, start, text))
                    buf = []
                i += 1
            assert not buf, f"{name} sh block {n}: incomplete command at line {start}"
            blocks.append(commands)
        i += 1
    return blocks


def skip_reason(text: str) -> str | None:
    for prefix, reason in SKIPPED:
        if text.startswith(prefix):
            return reason
    return None


class Bash:
    """One bash per sh block, fed command by command (variables carry over)."""

    def __init__(self, rundir: Path) -> None:
        # cwd: a scratch folder where `fixtures/` is the checkout's (files the examples save
        # land there, not in the repository)
        work = rundir / "cwd"
        work.mkdir()
        (work / "fixtures").symlink_to(ROOT / "fixtures")
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=work,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group: what it leaves running ends too
            # the `stagemock` command of this install on PATH, as it is after `pip install`
            env={**os.environ, "__RD": str(rundir),
                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.n = 0
        self.run(CURL_WRAPPER, 0)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, text: str, line: int) -> tuple[int, str]:
        self.n += 1
        marker = f"__README_DONE_{self.n}__"
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"__LINE={line}\n{text}\nprintf '\\n{marker} %s\\n' \"$?\"\n")
        self.proc.stdin.flush()
        out: list[str] = []
        while True:
            try:
                got = self.lines.get(timeout=COMMAND_TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no answer within {COMMAND_TIMEOUT} s") from None
            if got is None:
                raise AssertionError("bash exited:\n" + "".join(out))
            if got.startswith(marker):
                return int(got.split()[1]), "".join(out)
            out.append(got)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:  # a background process of the block (a webhook receiver) that is still running
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def fill(placeholders: dict[str, str], body: object) -> None:
    """Fill placeholders from one JSON response (the latest response that carries one wins,
    as a reader copies the id printed just above)."""
    if not isinstance(body, dict):
        return
    scopes = [body]
    if isinstance(body.get("data"), dict):
        scopes.append(body["data"])
    for scope in scopes:
        ident = scope.get("id")
        if isinstance(ident, str):
            for prefix, name in ID_PREFIXES.items():
                if ident.startswith(prefix):
                    placeholders[name] = ident
        for field, name in FIELDS.items():
            if isinstance(scope.get(field), str):
                placeholders[name] = scope[field]


#: The port the docs' webhook receiver listens on; the test gives it a free one.
RECEIVER_PORT = 9000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def substitute(text: str, base: str, placeholders: dict[str, str],
               receiver_port: int = RECEIVER_PORT) -> str:
    text = re.sub(r"(https?://)?(localhost|127\.0\.0\.1):8000", base, text)
    text = re.sub(rf"(localhost:|127\.0\.0\.1:|--port ){RECEIVER_PORT}\b",
                  lambda m: f"{m.group(1)}{receiver_port}", text)
    for name in PLACEHOLDERS:
        # a bare word: not a shell variable ($NAME, ${NAME}) nor an assignment (NAME=...)
        word = rf"(?<![A-Za-z0-9_${{]){name}(?![A-Za-z0-9_=}}])"
        if re.search(word, text):
            assert name in placeholders, f"{name} is used before any response gave it"
            text = re.sub(word, lambda _m, v=placeholders[name]: v, text)
    return text


def vendor_operations() -> set[str]:
    """operationIds of both vendor specs."""
    ops = set()
    for name in ("stagepro", "stagerai"):
        spec = yaml.safe_load((ROOT / "openapi" / f"{name}.yaml").read_text())
        for item in spec["paths"].values():
            ops.update(op["operationId"] for key, op in item.items()
                       if isinstance(op, dict) and not key.startswith("x-"))
    return ops


def test_curl_is_installed() -> None:
    assert shutil.which("curl"), "README's examples need curl: apt-get install -y curl"
    assert shutil.which("bash"), "README's examples need bash: apt-get install -y bash"


def test_readme_and_docs_sh_blocks_run_as_printed(tmp_path: Path) -> None:
    if not shutil.which("curl"):
        pytest.fail("README's examples need curl: apt-get install -y curl")
    files = {path: sh_blocks(path) for path in example_files()}
    assert len(files[README]) >= 3, "README lost its sh blocks"
    assert sum(len(blocks) for blocks in files.values()) >= 8, "README and docs lost their sh blocks"
    server = RunningServer(Settings(deterministic=True, image_workers=0)).start()
    base = server.url  # http://127.0.0.1:<port>
    receiver_port = free_port()
    ran = 0
    skipped: set[str] = set()
    failures: list[str] = []
    try:
        for path, blocks in files.items():
            placeholders: dict[str, str] = {}  # a page's examples fill its own placeholders
            for commands in blocks:
                if not commands:
                    continue
                rundir = tmp_path / f"{path.stem}-block{commands[0].block}"
                rundir.mkdir()
                bash = Bash(rundir)
                try:
                    ran += run_block(bash, rundir, commands, base, placeholders, skipped,
                                     failures, receiver_port)
                finally:
                    bash.close()
        journal = server.control.journal()
    finally:
        server.stop()
    assert not failures, "examples that fail as printed:\n" + "\n".join(failures)
    assert ran >= 40, f"only {ran} README and docs commands ran"
    # the examples conform to the specs and show every vendor operation answering 2xx
    broken = [
        f"{e['method']} {e['path']}: {e['violations']}" for e in journal if not e["conformant"]
    ]
    assert not broken, "README and docs examples that break the spec:\n" + "\n".join(broken)
    shown = {e["operation_id"] for e in journal if str(e["status"]).startswith("2")}
    missing = vendor_operations() - shown
    assert not missing, f"operations with no working README or docs example: {sorted(missing)}"
    unused = {prefix for prefix, _ in SKIPPED} - skipped - {"stagemock serve"}
    assert not unused, f"allow-list entries README and docs no longer need: {sorted(unused)}"


def run_block(
    bash: Bash,
    rundir: Path,
    commands: list[Command],
    base: str,
    placeholders: dict[str, str],
    skipped: set[str],
    failures: list[str],
    receiver_port: int = RECEIVER_PORT,
) -> int:
    """Run one block's commands in order; record failures; return how many ran. The block
    stops at its first command that cannot run (a placeholder no response gave, no answer)."""
    ran = seen = 0
    for cmd in commands:
        if skip_reason(cmd.text):
            skipped.add(next(p for p, _ in SKIPPED if cmd.text.startswith(p)))
            continue
        try:
            text = substitute(cmd.text, base, placeholders, receiver_port)
        except AssertionError as exc:
            failures.append(f"{cmd.where}: {exc}\n  {cmd.text}")
            break
        try:
            rc, output = bash.run(text, cmd.line)
        except AssertionError as exc:
            failures.append(f"{cmd.where}:\n  {cmd.text}\n  {exc}")
            break
        ran += 1
        log = (rundir / "log").read_text().splitlines() if (rundir / "log").exists() else []
        calls, seen = log[seen:], len(log)
        problems = []
        if not calls and "curl" in cmd.text:
            problems.append("ran no curl")
        for call in calls:
            _line, curl_rc, code, out = call.split("\t")
            body = Path(out).read_bytes()
            if curl_rc != "0" or not code.startswith("2"):
                problems.append(f"curl exit {curl_rc}, HTTP {code}: {body[:300]!r}")
            try:
                fill(placeholders, json.loads(body))
            except ValueError:
                pass
        if rc != 0 and not problems:
            problems.append(f"exit {rc}: {output[-500:]}")
        if problems:
            failures.append(f"{cmd.where}:\n  {cmd.text}\n  " + "\n  ".join(problems))
    return ran


def test_substitute_only_the_host_and_bare_placeholders() -> None:
    ids = {"JOB_ID": "job_1", "TOKEN": "cs_1", "UPLOAD_URL": "http://h/u"}
    base = "http://127.0.0.1:9"
    assert (
        substitute("curl localhost:8000/api/v1/jobs/JOB_ID", base, ids)
        == "curl http://127.0.0.1:9/api/v1/jobs/job_1"
    )
    assert substitute("curl http://127.0.0.1:8000/x", base, ids) == "curl http://127.0.0.1:9/x"
    assert substitute('TOKEN=$(x) "$TOKEN" ${TOKEN}', base, ids) == 'TOKEN=$(x) "$TOKEN" ${TOKEN}'
    assert substitute('"UPLOAD_URL" JOB_IDS', base, ids) == '"http://h/u" JOB_IDS'
    assert (
        substitute("x --port 9000 > a & curl -d '{\"url\":\"http://127.0.0.1:9000/hook\"}'",
                   base, ids, 9123)
        == "x --port 9123 > a & curl -d '{\"url\":\"http://127.0.0.1:9123/hook\"}'"
    )
    with pytest.raises(AssertionError, match="GROUP_ID is used before"):
        substitute("curl localhost:8000/api/hdr-image-group/GROUP_ID", base, ids)


def test_commands_split_on_shell_syntax() -> None:
    blocks = [block for path in example_files() for block in sh_blocks(path)]
    texts = [c.text for block in blocks for c in block]
    assert any(t.startswith("for ev in") and t.endswith("done") for t in texts)
    assert not any(t.endswith("\\") for t in texts)
    assert all(c.line > 0 for block in blocks for c in block)


def test_every_file_with_examples_is_read() -> None:
    """docs/ pages are found and named by their path, so a failure points at the page."""
    names = [path.relative_to(ROOT).as_posix() for path in example_files()]
    assert names[0] == "README.md" and "docs/stagepro.md" in names
    commands = [c for block in sh_blocks(DOCS / "stagepro.md") for c in block]
    assert commands and commands[0].where.startswith("docs/stagepro.md sh block 1, line ")


def test_readme_says_where_stagemock_is_in_a_checkout() -> None:
    """``make install`` puts the command in .venv/bin, which is not on PATH: README says so
    before its first ``stagemock`` command line."""
    text = README.read_text(encoding="utf-8")
    first_command = min(c.line for block in sh_blocks(README) for c in block
                        if c.text.startswith("stagemock "))
    before = "\n".join(text.splitlines()[:first_command])
    assert ".venv/bin/stagemock" in before and "PATH" in before
    assert (Path(sys.executable).parent / "stagemock").exists()  # the venv's console script
