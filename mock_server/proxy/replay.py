"""``stagemock replay FILE --base-url URL``: a recorded session sent again, in order, to any
server, each answer compared with the recording by shape.

- Both APIs of a recording are replayed (``stagemock serve --record`` holds both): to a
  stagemock, each at its base on the same origin; elsewhere each to its ``--base-url
  API=URL``. ``--api`` keeps one.
- Each recorded key is sent as a key of its own (``replay_keys``: ``--key-map``, the mock's
  fixture keys kept, fresh test keys for the others).
- Ids created along the way are substituted: an id the recording's answer gave (``job_A``) is
  sent as whatever the new server answered in its place; a signed upload URL likewise.
- States in order (``states``): a ``GET`` whose recorded answer is in some state (``queued``,
  ``processing``, ``completed``...) is asked again, the server's time moved on (a stagemock's
  clock, ``STEP`` at a time) or waited for, until the new answer is in that state or a later
  one, up to ``--timeout``; it is compared only in the same state.
- Differences are classified (``shapes.Difference``, ``spec.rules``): a documented rule, a
  guess of this mock (named, with its reason), or something the spec does not describe. The
  exit status is 1 when a documented rule differs, 2 when no exchange could be replayed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from ..jsontypes import Json, JsonObject
from ..media import media_type
from ..mounts import BASE_PATHS
from ..spec.loader import Operation, declared_response, resolve
from ..spec.rules import DOCUMENTED, GUESS, UNCOVERED
from . import record
from .replay_keys import Keys, NoKey, recorded_key
from .replay_parts import Outcome, View, _code, _json, _parse, _url, _view
from .replay_text import curl, report
from .shapes import Difference, SchemaWalker, _rule, compare
from .states import (
    AHEAD,
    BEHIND,
    FINAL,
    SAME,
    ended,
    order,
    rests_at,
    standing,
    unreached,
)

__all__ = ["Outcome", "Replayer", "curl", "main", "report"]

APIS = ("stagepro", "stagerai")
#: Seconds a stagemock's clock moves (or a replay waits elsewhere) between two asks of a
#: state not reached yet: short, so a state that lasts a second is not stepped over.
STEP = 0.25
#: Headers a replay never copies from the recording (the connection's, the credentials').
DROPPED = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding",
                     "authorization", "stager-api-key", "cookie", "accept-encoding", "te",
                     "upgrade", "proxy-connection"})
ID_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9]{6,}$")


def _id_key(key: str | None) -> bool:
    return key is not None and (key == "id" or key.endswith(("_id", "Id", "_ids", "Ids")))


class Replayer:
    """One replay of a recording (the module docstring). ``base_url``: a stagemock's (any of
    its bases: both APIs are replayed there), or the base of the API it names; ``bases``: a
    base per API (``--base-url API=URL``); ``api``: only that API's exchanges; ``keys``
    (``--api-key``), ``key_map`` (``--key-map``) and ``secret`` (keys shown as ``$API_KEY`` in
    curls): ``replay_keys``."""

    def __init__(self, recording: str | Path, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 30.0, api: str | None = None,
                 *, bases: Mapping[str, str] | None = None, keys: Sequence[str] = (),
                 key_map: Mapping[str, str] | None = None, secret: bool = True) -> None:
        self.path = Path(recording)
        self.header, exchanges = record.load(self.path)
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._mocks: dict[str, bool] = {}
        self._sessions: dict[str, str] = {}
        own = str(self.header.get("api") or "stagepro")
        if api is not None and own in APIS and own != api:
            raise ValueError(f"{self.path} records {own}, not {api}")
        for ex in exchanges:
            if ex.get("api") not in APIS:
                ex["api"] = own if own in APIS else None
        recorded = list(dict.fromkeys(str(ex["api"]) for ex in exchanges if ex["api"]))
        wanted = [api] if api is not None else recorded
        self.exchanges = [ex for ex in exchanges if ex["api"] in wanted]
        targets = self._bases(base_url, dict(bases or {}), wanted)
        self.views = {a: _view(a, url, str(self.header.get("base_path") or "")
                               if own == a else BASE_PATHS[a])
                      for a, url in targets.items()}
        self.missing = [a for a in wanted if a not in self.views]
        self.view = next(iter(self.views.values()), None)
        given = list(keys) + ([api_key] if api_key else [])
        self.keys = Keys(list(self.views), given, key_map or {},
                         mock=bool(self.views) and all(self.is_mock(v.origin)
                                                       for v in self.views.values()),
                         secret=secret)
        self.ids: dict[str, str] = {}
        self.urls: dict[str, str] = {}  # a signed URL's path (decoded) → the new URL
        self.gave_up: set[str] = set()  # URLs whose awaited state never came (not again)

    def _bases(self, base_url: str | None, bases: dict[str, str],
               wanted: list[str]) -> dict[str, str]:
        """The base URL of each API to replay: given per API, or derived from a stagemock's
        origin (it serves both), or the one API a plain base names."""
        out = {a: u.rstrip("/") for a, u in bases.items() if a in wanted}
        if base_url:
            base = base_url.rstrip("/")
            parts = urlsplit(base)
            origin = f"{parts.scheme}://{parts.netloc}"
            if self.is_mock(origin):
                for a in wanted:
                    out.setdefault(a, origin + BASE_PATHS[a])
            elif len(wanted) == 1:
                out.setdefault(wanted[0], base)
            else:
                named = "stagepro" if parts.path.endswith(BASE_PATHS["stagepro"]) else "stagerai"
                out.setdefault(named, base)
        return out

    # the target ----------------------------------------------------------------------------
    def is_mock(self, origin: str | None = None) -> bool:
        """Whether the server at ``origin`` (by default the replay's) is a stagemock (its
        clock can be moved, sessions opened, test keys made up)."""
        origin = origin or (self.view.origin if self.view else "")
        if origin not in self._mocks:
            try:
                r = self.client.get(origin + "/__mock/health", timeout=5)
                self._mocks[origin] = r.status_code == 200 and r.json().get("mode") != "proxy"
            except (httpx.HTTPError, ValueError):
                self._mocks[origin] = False
        return self._mocks[origin]

    def _wait(self, view: View) -> None:
        """Let time pass on the server: a stagemock's clock moves ``STEP``; elsewhere, wait."""
        if self.is_mock(view.origin):
            self.client.post(view.origin + "/__mock/clock/advance", json={"seconds": STEP})
        else:
            time.sleep(STEP)

    def _console_cookie(self, view: View) -> str | None:
        key = self.keys.default(view.api)
        if key is not None and key not in self._sessions and self.is_mock(view.origin):
            r = self.client.post(view.origin + "/__mock/console-sessions",
                                 json={"api_key": key})
            if r.status_code == 201:
                self._sessions[key] = r.json()["token"]
        return self._sessions.get(key or "")

    # the spec of the exchange being replayed (``diff`` and its helpers read these) ------------
    @property
    def document(self) -> JsonObject:
        assert self.view is not None
        return self.view.document

    @property
    def operations(self) -> dict[str, Operation]:
        assert self.view is not None
        return self.view.operations

    @property
    def walker(self) -> SchemaWalker:
        assert self.view is not None
        return self.view.walker

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
            # a URL the new answer gives under another name (a renamed `uploadUrl`): the
            # difference is reported; the replay goes on with the URL it was given
            lost = [k for k in old if k not in new and _url(old[k])]
            found = [k for k in new if k not in old and _url(new[k])]
            if len(lost) == 1 and len(found) == 1:
                self.learn(old[lost[0]], new[found[0]], lost[0])
        elif isinstance(old, list) and isinstance(new, list):
            for a, b in zip(old, new, strict=False):
                self.learn(a, b, key)
        elif isinstance(old, str) and isinstance(new, str) and old != new:
            if "X-Goog-Signature=" in new or (key == "uploadUrl" and "://" in new):
                self.urls[unquote(urlsplit(self.sub(old)).path)] = new
                self.urls[unquote(urlsplit(new).path)] = new
            elif _id_key(key) or ID_LIKE.match(old):
                self.ids[old] = new

    # one exchange ----------------------------------------------------------------------------
    def request_of(self, ex: JsonObject,
                   view: View) -> tuple[str, str, dict[str, str], bytes | None]:
        req = ex["request"]
        path = req["path"]
        if view.recorded_base and path.startswith(view.recorded_base):
            path = path[len(view.recorded_base):]
        path = self.sub(path)
        query = self.sub(req.get("query") or "")
        url = view.base_url + path + (f"?{query}" if query else "")
        signed = self.urls.get(unquote(urlsplit(view.base_url + path).path))
        if signed is not None:
            url = signed
        headers = {k: v for k, v in req.get("headers", []) if k.lower() not in DROPPED}
        sent = {k.lower() for k, _ in req.get("headers", [])}
        recorded = recorded_key(req.get("headers", []))
        if recorded is not None:
            key = self.keys.key_for(view.api, recorded)
            if "authorization" in sent:
                headers["Authorization"] = f"Bearer {key}"
            else:
                headers["stager-api-key"] = key
        if "cookie" in sent:
            token = self._console_cookie(view)
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
        for api in self.missing:
            n = sum(1 for ex in self.exchanges if ex["api"] == api)
            outcome.skipped.append(f"{n} {api} exchanges: no base URL for {api} (the server "
                                   f"is not a stagemock: give --base-url {api}=URL)")
        for ex in self.exchanges:
            where = f"#{ex.get('seq')} {ex['request']['method']} {ex['request']['path']}"
            self.view = self.views.get(ex["api"])
            if self.view is None:
                continue
            if ex.get("response") is None:
                outcome.skipped.append(f"{where}: the recording has no answer "
                                       f"({ex.get('error') or 'none'})")
                continue
            try:
                outcome.differences += self.one(ex, self.view, outcome)
            except NoKey as exc:
                outcome.skipped.append(f"{where}: {exc}")
                continue
            outcome.replayed += 1
            outcome.apis[ex["api"]] = outcome.apis.get(ex["api"], 0) + 1
        if not self.exchanges:
            outcome.skipped.append(f"{self.path} holds no exchange of "
                                   f"{' or '.join(APIS)} that a replay can send")
        outcome.notes += self.keys.legend(curls=bool(outcome.differences))
        self.client.close()
        return outcome

    def one(self, ex: JsonObject, view: View, outcome: Outcome) -> list[Difference]:
        method, url, headers, data = self.request_of(ex, view)
        expected = ex["response"]
        want = _json(self.path, expected)
        op = view.operations.get(ex.get("operation_id") or "")
        content_type = next((v for k, v in expected.get("headers") or []
                             if k.lower() == "content-type"), None)
        schema = self._schema(op, expected["status"], content_type)
        states = order(view.walker, schema) if method == "GET" else []
        # a recorded status the spec does not list: where it stands is unknown; the last one
        # an object answered is where it rested (wait for the new one to end, then compare),
        # an earlier one was work in progress (its status is not compared)
        unknown = (method == "GET" and isinstance(want, dict) and states
                   and isinstance(want.get("status"), str) and want["status"] not in states)
        rested = unknown and rests_at(self.exchanges, ex["request"]["path"], want["status"],
                                      lambda other: _json(self.path, other))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                r = self.client.request(method, url, headers=headers, content=data)
            except httpx.HTTPError as exc:
                return [self._stamp(Difference("no_answer", "connection", expected["status"],
                                               f"{type(exc).__name__}: {exc}"),
                                    ex, method, url, headers, data)]
            got = _parse(r)
            stand = (standing(states, want, got) if method == "GET"
                     and r.status_code == expected["status"] else SAME)
            if rested and r.status_code == expected["status"] and isinstance(got, dict):
                stand = FINAL if ended(got) else BEHIND
            if stand != BEHIND or time.monotonic() > deadline or url in self.gave_up:
                break
            self._wait(view)
        if stand == BEHIND:  # waited out once: the same object is not waited for again
            self.gave_up.add(url)
        if isinstance(want, dict | list) and isinstance(got, dict | list):
            self.learn(want, got)
        if stand == AHEAD:
            assert isinstance(want, dict) and isinstance(got, dict)
            outcome.notes.append(
                f"#{ex.get('seq')} {method} {ex['request']['path']}: the server was already "
                f"{got.get('status')!r}, past the recorded {want.get('status')!r}; a state is "
                "compared only with the same state, so this answer was not compared")
            return []
        found = self.diff(ex, expected, want, r, got)
        if unknown and not rested:
            found = [d for d in found if d.where != "body.status"]
        if stand in (BEHIND, FINAL):
            found = unreached(self.walker, self.timeout, found, schema, want, got, stand)
        return [self._stamp(d, ex, method, url, headers, data) for d in found]

    def diff(self, ex: JsonObject, expected: JsonObject, want: Json,
             r: httpx.Response, got: Json) -> list[Difference]:
        op = self.operations.get(ex.get("operation_id") or "")
        status, new_status = expected["status"], r.status_code
        book = self.walker.book
        out: list[Difference] = []
        if status != new_status:
            out.append(Difference("status", "status", status, new_status,
                                  **_rule(book.two_statuses(op, status, new_status))))
            if not (200 <= status < 300 and 200 <= new_status < 300):
                return out
            # two successes: their bodies still say what each side holds (a renamed field)
        schema = self._schema(op, status, r.headers.get("content-type")) \
            or self._schema(op, new_status, r.headers.get("content-type"))
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
        path = book.path(op) if op is not None else UNCOVERED
        for d in out if path.rule == GUESS else ():
            if d.rule == DOCUMENTED:  # nothing of a path the references never name is
                d.rule, d.source, d.guess = GUESS, None, path.guess  # documented
        return out

    def _schema(self, op: Operation | None, status: int, content_type: str | None) -> Json:
        if op is None:
            return None
        response = resolve(self.document, declared_response(op.responses, status) or {})
        media = media_type(content_type)
        content = response.get("content") or {}
        found = content.get(media) or content.get("application/json")
        return found.get("schema") if found else None

    def _stamp(self, d: Difference, ex: JsonObject, method: str, url: str,
               headers: dict[str, str], data: bytes | None) -> Difference:
        d.seq = ex.get("seq", 0)
        d.operation_id = ex.get("operation_id")
        d.request = f"{method} {ex['request']['path']}"
        d.curl = curl(method, url, headers, data, self.keys.variables)
        d.extra.setdefault("api", self.view.api if self.view else None)
        return d


def main(args: argparse.Namespace) -> int:
    try:
        replayer = Replayer(args.file, args.base_url, None, args.timeout, args.api,
                            bases=args.bases, keys=args.api_key or (), key_map=args.key_map)
    except (OSError, ValueError) as exc:
        print(f"stagemock replay: {exc}")
        return 2
    outcome = replayer.run()
    if args.json:
        print(json.dumps(outcome.as_json(), indent=2, ensure_ascii=False))
    else:
        where = args.base_url or ", ".join(f"{k}={v}" for k, v in args.bases.items())
        print(report(outcome, f"replay of {args.file} against {where}"))
    if outcome.replayed == 0:
        print(f"stagemock replay: no exchange of {args.file} was replayed, so nothing was "
              "compared (the reasons are under skipped): not a pass", file=sys.stderr)
        return 2
    return 1 if outcome.documented else 0
