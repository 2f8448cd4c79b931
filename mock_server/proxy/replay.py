"""``stagemock replay FILE --base-url URL --api-key KEY``: a recorded session sent again, in
order, to any server, each answer compared with the recording by shape.

- Ids created along the way are substituted: an id the recording's answer gave (``job_A``) is
  sent as whatever the new server answered in its place; a signed upload URL likewise.
- Asynchronous work is waited for the way the recording did: a ``GET`` whose recorded answer
  had finished (``status`` ``completed``, ``failed``...) is polled until the new one says
  the same (on a stagemock, by moving its clock; elsewhere, by waiting).
- Differences are classified (``shapes.Difference``): a documented rule, a guess of this mock
  (named, with its reason), or something the spec does not describe. The exit status is 1
  when a documented rule differs.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..jsontypes import Json, JsonObject
from ..resources import data_dir
from ..spec.loader import Operation, load_spec, resolve
from ..spec.rules import DOCUMENTED, GUESS, UNCOVERED, UNSPECIFIED, Verdict
from . import record
from .shapes import TERMINAL, Difference, SchemaWalker, _rule, compare

#: Headers a replay never copies from the recording (the connection's, the credentials').
DROPPED = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding",
                     "authorization", "stager-api-key", "cookie", "accept-encoding", "te",
                     "upgrade", "proxy-connection"})
#: Where ``stagemock serve`` mounts each API (its recordings hold both).
MOCK_BASE_PATHS = {"stagepro": "/api/v1", "stagerai": ""}
ID_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9]{6,}$")


def _id_key(key: str | None) -> bool:
    return key is not None and (key == "id" or key.endswith(("_id", "Id", "_ids", "Ids")))


@dataclass
class Outcome:
    replayed: int = 0
    skipped: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def documented(self) -> list[Difference]:
        return [d for d in self.differences if d.rule == "documented"]

    def as_json(self) -> JsonObject:
        return {"replayed": self.replayed, "skipped": self.skipped,
                "differences": [d.as_json() for d in self.differences],
                "documented": len(self.documented)}


class Replayer:
    def __init__(self, recording: str | Path, base_url: str, api_key: str,
                 timeout: float = 30.0, api: str | None = None) -> None:
        self.path = Path(recording)
        self.header, self.exchanges = record.load(self.path)
        self.base_url = base_url.rstrip("/")
        self.api = self.header.get("api", "stagepro")
        self.recorded_base = self.header.get("base_path", "")
        if self.api == "both":  # ``stagemock serve --record``: one API's exchanges
            self.api = api or ("stagepro" if urlsplit(self.base_url).path.rstrip("/")
                               .endswith("/api/v1") else "stagerai")
            self.recorded_base = MOCK_BASE_PATHS[self.api]
            self.exchanges = [e for e in self.exchanges if e.get("api") == self.api]
        elif api is not None and api != self.api:
            raise ValueError(f"{self.path} records {self.api}, not {api}")
        self.api_key = api_key
        self.timeout = timeout
        spec = load_spec(self.api, data_dir("openapi") / f"{self.api}.yaml", "")
        self.document = spec.document
        self.operations = {op.operation_id: op for op in spec.operations}
        self.walker = SchemaWalker(self.document)
        self.ids: dict[str, str] = {}
        self.urls: dict[str, str] = {}  # a signed URL's path → the new URL
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._mock: bool | None = None
        self._session: str | None = None

    # the target ----------------------------------------------------------------------------
    def is_mock(self) -> bool:
        """Whether the target is a stagemock (its clock can be moved, sessions opened)."""
        if self._mock is None:
            try:
                r = self.client.get(self.origin + "/__mock/health", timeout=5)
                self._mock = r.status_code == 200 and r.json().get("mode") != "proxy"
            except (httpx.HTTPError, ValueError):
                self._mock = False
        return self._mock

    def _wait(self) -> None:
        if self.is_mock():
            self.client.post(self.origin + "/__mock/clock/advance", json={"seconds": 1})
        else:
            time.sleep(0.5)

    def _console_cookie(self) -> str | None:
        if self._session is None and self.is_mock():
            r = self.client.post(self.origin + "/__mock/console-sessions",
                                 json={"api_key": self.api_key})
            if r.status_code == 201:
                self._session = r.json()["token"]
        return self._session

    # substitution ----------------------------------------------------------------------------
    def sub(self, text: str) -> str:
        for old in sorted(self.ids, key=len, reverse=True):
            if old in text:
                text = text.replace(old, self.ids[old])
        return text

    def sub_json(self, value: Json) -> Json:
        if isinstance(value, dict):
            return {k: self.sub_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.sub_json(v) for v in value]
        return self.sub(value) if isinstance(value, str) else value

    def learn(self, old: Json, new: Json, key: str | None = None) -> None:
        """Pair the ids (and signed URLs) of the recorded answer with the new one's."""
        if isinstance(old, dict) and isinstance(new, dict):
            for k in old:
                if k in new:
                    self.learn(old[k], new[k], k)
        elif isinstance(old, list) and isinstance(new, list):
            for a, b in zip(old, new, strict=False):
                self.learn(a, b, key)
        elif isinstance(old, str) and isinstance(new, str) and old != new:
            if "X-Goog-Signature=" in new:
                self.urls[urlsplit(self.sub(old)).path] = new
                self.urls[urlsplit(new).path] = new
            elif _id_key(key) or ID_LIKE.match(old):
                self.ids[old] = new

    # one exchange ----------------------------------------------------------------------------
    def request_of(self, ex: JsonObject) -> tuple[str, str, dict[str, str], bytes | None]:
        req = ex["request"]
        path = req["path"]
        if self.recorded_base and path.startswith(self.recorded_base):
            path = path[len(self.recorded_base):]
        path = self.sub(path)
        query = self.sub(req.get("query") or "")
        url = self.base_url + path + (f"?{query}" if query else "")
        signed = self.urls.get(urlsplit(self.base_url + path).path)
        if signed is not None:
            url = signed
        headers = {k: v for k, v in req.get("headers", []) if k.lower() not in DROPPED}
        sent = {k.lower() for k, _ in req.get("headers", [])}
        if "authorization" in sent:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if "stager-api-key" in sent:
            headers["stager-api-key"] = self.api_key
        if "cookie" in sent:
            token = self._console_cookie()
            if token:
                headers["Cookie"] = f"stagepro_session={token}"
        body = req.get("body")
        data: bytes | None
        if body is not None and "json" in body:
            data = json.dumps(self.sub_json(body["json"]), separators=(",", ":"),
                              ensure_ascii=False).encode()
        elif body is not None and "text" in body:
            data = self.sub(body["text"]).encode()
        else:
            data = record.body_bytes(self.path, body)
        return req["method"], url, headers, data

    def run(self) -> Outcome:
        outcome = Outcome()
        outcome.skipped += [str(n) for n in self.header.get("skipped") or []]  # a HAR's
        for ex in self.exchanges:
            if ex.get("response") is None:
                outcome.skipped.append(f"#{ex.get('seq')} {ex['request']['method']} "
                                       f"{ex['request']['path']}: the recording has no answer "
                                       f"({ex.get('error') or 'none'})")
                continue
            outcome.differences += self.one(ex)
            outcome.replayed += 1
        self.client.close()
        return outcome

    def one(self, ex: JsonObject) -> list[Difference]:
        method, url, headers, data = self.request_of(ex)
        expected = ex["response"]
        want = _json(self.path, expected)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                r = self.client.request(method, url, headers=headers, content=data)
            except httpx.HTTPError as exc:
                return [self._stamp(Difference("no_answer", "connection", expected["status"],
                                               f"{type(exc).__name__}: {exc}"),
                                    ex, method, url, headers, data)]
            got = _parse(r)
            if not self._unfinished(method, want, got, r.status_code, expected["status"]) \
                    or time.monotonic() > deadline:
                break
            self._wait()
        if isinstance(want, dict | list) and isinstance(got, dict | list):
            self.learn(want, got)
        return [self._stamp(d, ex, method, url, headers, data)
                for d in self.diff(ex, expected, want, r, got)]

    @staticmethod
    def _unfinished(method: str, want: Json, got: Json, status: int, expected: int) -> bool:
        if method != "GET" or status != expected:
            return False
        return (isinstance(want, dict) and isinstance(got, dict)
                and want.get("status") in TERMINAL and got.get("status") != want.get("status"))

    def diff(self, ex: JsonObject, expected: JsonObject, want: Json,
             r: httpx.Response, got: Json) -> list[Difference]:
        op = self.operations.get(ex.get("operation_id") or "")
        status, new_status = expected["status"], r.status_code
        book = self.walker.book
        if status != new_status:
            return [Difference("status", "status", status, new_status,
                               **_rule(self._status_rule(op, status, new_status)))]
        out: list[Difference] = []
        schema = self._schema(op, status, r.headers.get("content-type"))
        here = book.status(op, status) if op is not None else UNCOVERED
        if isinstance(want, dict) and isinstance(got, dict):
            code, new_code = _code(want), _code(got)
            if code is not None and code != new_code:
                verdicts = [book.error_code(c) for c in (code, new_code) if c is not None]
                guessed = [v for v in verdicts if v.rule != DOCUMENTED]
                out.append(Difference("error_code", "body.error.code", code, new_code,
                                      **_rule(guessed[0] if guessed else verdicts[0])))
            out += [d for d in compare(self.walker, schema, want, got, here=here)
                    if d.where != "body.error.code"]
        elif want is not None and got is None:
            out.append(Difference("type", "body", "json", r.headers.get("content-type"),
                                  **_rule(here)))
        return out

    def _status_rule(self, op: Operation | None, expected: int, got: int) -> Verdict:
        """Two statuses for one request: a guess when either's response is a guess (the
        guess is what the other answer contradicts), unspecified when either is one the
        operation does not declare, else documented (the recorded status's source)."""
        if op is None:
            return UNCOVERED
        verdicts = [self.walker.book.status(op, s) for s in (expected, got)]
        for kind in (GUESS, UNSPECIFIED):
            found = [v for v in verdicts if v.rule == kind]
            if found:
                return found[0]
        return verdicts[0]

    def _schema(self, op: Operation | None, status: int, content_type: str | None) -> Json:
        if op is None:
            return None
        response = resolve(self.document, (op.responses or {}).get(str(status)) or {})
        media = (content_type or "").split(";", 1)[0].strip().lower()
        content = response.get("content") or {}
        found = content.get(media) or content.get("application/json")
        return found.get("schema") if found else None

    def _stamp(self, d: Difference, ex: JsonObject, method: str, url: str,
               headers: dict[str, str], data: bytes | None) -> Difference:
        d.seq = ex.get("seq", 0)
        d.operation_id = ex.get("operation_id")
        d.request = f"{method} {ex['request']['path']}"
        d.curl = curl(method, url, headers, data, self.api_key)
        return d


def _json(path: Path, response: JsonObject) -> Json:
    body = response.get("body")
    if body is None:
        return None
    if "json" in body:
        return body["json"]
    if "text" in body:
        try:
            return json.loads(body["text"])
        except ValueError:
            return None
    return None


def _parse(r: httpx.Response) -> Json:
    if "json" not in r.headers.get("content-type", ""):
        return None
    try:
        return r.json()
    except ValueError:
        return None


def _code(body: JsonObject) -> str | None:
    err = body.get("error")
    return err.get("code") if isinstance(err, dict) else None


def curl(method: str, url: str, headers: dict[str, str], data: bytes | None,
         api_key: str) -> str:
    parts = ["curl", "-X", method, shlex.quote(url)]
    for k, v in headers.items():
        if k.lower() == "user-agent" or (k.lower() == "accept" and v == "*/*"):
            continue  # the recording client's, not the request's meaning
        v = v.replace(api_key, "$API_KEY")
        parts += ["-H", f'"{k}: {v}"' if "$API_KEY" in v else shlex.quote(f"{k}: {v}")]
    if data:
        try:
            parts += ["--data-raw", shlex.quote(data.decode())]
        except UnicodeDecodeError:
            parts += ["--data-binary", "@BODY_FILE"]
    return " ".join(parts)


def words(d: Difference) -> str:
    what = {
        "status": f"status: the recording has {d.expected}, the server answered {d.got}",
        "error_code": f"error code: the recording has {d.expected!r}, the server answered "
                      f"{d.got!r}",
        "missing": f"`{d.where}` ({d.expected}) is in the recording, not in the answer",
        "extra": f"`{d.where}` ({d.got}) is in the answer, not in the recording",
        "type": f"`{d.where}`: the recording has {d.expected}, the answer {d.got}",
        "enum": f"`{d.where}`: the recording has {d.expected!r}, the answer {d.got!r}",
        "no_answer": f"no answer ({d.got}); the recording has {d.expected}",
    }[d.kind]
    if d.rule == "guess":
        what += f" [a guess of this mock: {d.guess}]"
    elif d.rule == "unspecified":
        what += " [the spec does not describe it]"
    else:
        what += " [a documented rule]"
    return what


def report(outcome: Outcome, title: str) -> str:
    lines = [f"{title}: {outcome.replayed} exchanges replayed, {len(outcome.differences)} "
             f"differences ({len(outcome.documented)} in documented rules)"]
    for d in outcome.differences:
        lines.append(f"  #{d.seq} {d.request} ({d.operation_id or 'no operation'}): {words(d)}")
        lines.append(f"      {d.curl}")
    for note in outcome.skipped:
        lines.append(f"  skipped {note}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    try:
        replayer = Replayer(args.file, args.base_url, args.api_key, args.timeout,
                            getattr(args, "api", None))
    except (OSError, ValueError) as exc:
        print(f"stagemock replay: {exc}")
        return 2
    outcome = replayer.run()
    if args.json:
        print(json.dumps(outcome.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report(outcome, f"replay of {args.file} against {args.base_url}"))
    return 1 if outcome.documented else 0
