"""Deliberately broken variants of the mock, to prove the suite catches what it claims to.

Each mutant wraps the real app in an ASGI layer that breaks one promise of the spec (or
patches the app's internals). ``tests/contract/test_mutants.py`` starts each one and asserts
that ``stagemock check --check NAME`` fails, the report naming each check of
``Mutant.catches`` (``contract_tests/checks.py``). They are the tests' own: the wheel does not
carry them. Each is listed, with ``Mutant.breaks`` (what it breaks, in words), in
docs/contract-tests.md (``python -m tests.contract.catalogue --write``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from mock_server.http import read_body

Transform = Callable[[str, str, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


@dataclass
class Mutant:
    name: str
    api: str
    #: The checks (names of ``contract_tests.checks.CHECKS``) that must catch it: only they
    #: run (``stagemock check --check NAME``), and each must be named in the report.
    catches: tuple[str, ...]
    #: What it breaks, in words (listed in docs/contract-tests.md).
    breaks: str = ""
    #: Operations to include in the schemathesis run (keeps the run small); empty: all.
    operations: tuple[str, ...] = ()
    transform: Transform | None = None
    rewrite_request: Callable[[dict[str, Any], bytes], bytes] | None = None
    #: Changes the app itself (behaviour that is not an HTTP response, e.g. webhooks).
    patch: Callable[[Any], None] | None = None
    #: Words the report must also contain (a plain message, not ``KeyError: 'status'``).
    says: tuple[str, ...] = ()
    #: Words the report must not contain (what a misleading report would say).
    never_says: tuple[str, ...] = ()
    #: Served without the ``/__mock/`` control plane: a server that is not ours, as the
    #: vendor's API would be (guessed rules are then reported, not failed).
    foreign: bool = False
    #: schemathesis phases to run (``--phases``); ``None``: all of them.
    phases: str | None = None
    #: ``stagemock check``'s exit code for the mutant (1: caught; 0: only guesses differ).
    exit_code: int = 1
    #: Where a mutant that does not fail the run shows up: the guesses, or (a status the spec
    #: does not declare) the answers outside the spec.
    apart: str = "disagrees with these guesses"
    #: Jobs advance on the wall clock (quickly): a foreign mutant has no ``/__mock/`` to move
    #: the virtual clock of a deterministic mock, so its jobs would never end.
    live_clock: bool = False

    def wrap(self, app: Any) -> Any:
        if self.patch is not None:
            self.patch(app)
        if self.transform is not None or self.rewrite_request is not None:
            app = _Wrapper(app, self)
        return NoControlPlane(app) if self.foreign else app


class NoControlPlane:
    """A server that is not ours: ``/__mock/`` does not exist."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/__mock/"):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"not here"})
            return
        await self.app(scope, receive, send)


class _Wrapper:
    def __init__(self, app: Any, mutant: Mutant) -> None:
        self.app = app
        self.mutant = mutant

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__mock/"):
            await self.app(scope, receive, send)
            return
        m = self.mutant
        if m.rewrite_request is not None:
            body = m.rewrite_request(scope, await read_body(receive))
            scope = dict(scope)
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() != b"content-length"
            ] + [(b"content-length", str(len(body)).encode())]
            sent = False

            async def receive() -> Any:  # noqa: F811 - replaced on purpose
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

        if m.transform is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
                    status, headers, body = m.transform(
                        scope["method"], scope["path"], start["status"], headers, b"".join(chunks)
                    )
                    headers["content-length"] = str(len(body))
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def _json_edit(path_re: str, method: str, edit: Callable[[Any], Any], statuses=(200, 202)):
    pattern = re.compile(path_re)

    def transform(meth, path, status, headers, body):
        if meth == method and pattern.fullmatch(path) and status in statuses:
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                return status, headers, body
            return status, headers, orjson.dumps(edit(data))
        return status, headers, body

    return transform


def _drop(key: str) -> Callable[[Any], Any]:
    def edit(data: Any) -> Any:
        data.pop(key, None)
        return data

    return edit


def _status_of(path_re: str, method: str, old: int, new: int) -> Transform:
    pattern = re.compile(path_re)

    def transform(meth, path, status, headers, body):
        if meth == method and pattern.fullmatch(path) and status == old:
            return new, headers, body
        return status, headers, body

    return transform


def _content_type(path_re: str, new: str) -> Transform:
    pattern = re.compile(path_re)

    def transform(meth, path, status, headers, body):
        if pattern.fullmatch(path) and status == 200:
            headers["content-type"] = new
        return status, headers, body

    return transform


def _bad_input_500(meth, path, status, headers, body):
    if status == 400:
        return 500, headers, orjson.dumps({"error": {"code": "internal", "message": "boom"}})
    return status, headers, body


def _status_backwards() -> Callable[[Any], Any]:
    """Reports a finished job correctly once, then as processing again."""
    seen: set[str] = set()

    def edit(data: Any) -> Any:
        if data.get("status") in ("completed", "failed"):
            if data.get("id") in seen:
                data["status"] = "processing"
                data["completed_at"] = None
            seen.add(data.get("id"))
        return data

    return edit


def _never_completes(data: Any) -> Any:
    if data.get("status") in ("completed", "failed"):
        data.update(status="processing", completed_at=None, output=None, error=None)
    return data


def _repeat_item(data: Any) -> Any:
    if data.get("data") and data.get("next_cursor"):
        data["data"][-1] = data["data"][0]
    return data


def _job_request(scope: dict[str, Any], body: bytes) -> Any:
    """The parsed JSON of a ``POST /api/v1/jobs``; ``None`` for any other request or body."""
    if scope["method"] != "POST" or scope["path"] != "/api/v1/jobs" or not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _accept_any(field: str, allowed: Callable[[], list[str]], replacement: str):
    """A server whose ``field`` of ``POST /jobs`` (``type``, ``input.style``) takes any string:
    a value outside the spec's enum is replaced (before the mock sees it) by an allowed one,
    so the request is accepted."""

    def rewrite(scope: dict[str, Any], body: bytes) -> bytes:
        data = _job_request(scope, body)
        if data is None:
            return body
        *parents, name = field.split(".")
        inp = data
        for part in parents:
            inp = inp.get(part) if isinstance(inp, dict) else None
        if isinstance(inp, dict) and isinstance(inp.get(name), str):
            if inp[name] not in allowed():
                inp[name] = replacement
                # what the vendor's examples carry is state of this account (a webhook
                # endpoint, an idempotency key used before): not part of the mutant's point
                data.pop("webhook_endpoint_id", None)
                data.pop("idempotency_key", None)
                return orjson.dumps(data)
        return body

    return rewrite


def _enum(name: str) -> Callable[[], list[str]]:
    """The values of StagePro's enum ``name``, read from the spec once (on the first request:
    a rewrite runs per request, and parsing the whole spec each time cost a minute a run)."""
    @cache
    def values() -> list[str]:
        from mock_server.resources import spec_path
        from mock_server.spec.loader import read_document

        doc = read_document(spec_path("stagepro"))
        return list(doc["components"]["schemas"][name]["enum"])

    return values


def _ignore_auth(scope: dict[str, Any], body: bytes) -> bytes:
    names = {k.lower() for k, _ in scope["headers"]}
    if b"authorization" not in names and scope["path"].startswith("/api/v1"):
        scope["headers"] = list(scope["headers"]) + [(b"authorization", b"Bearer sk_test_mutant")]
    if scope["path"].startswith("/api/v1") and scope["headers"]:
        scope["headers"] = [
            (k, b"Bearer sk_test_mutant")
            if k.lower() == b"authorization" and not v.startswith(b"Bearer sk_")
            else (k, v)
            for k, v in scope["headers"]
        ]
    return body


def _ignore_idempotency(scope: dict[str, Any], body: bytes) -> bytes:
    if scope["method"] == "POST" and scope["path"] == "/api/v1/jobs" and body:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        if isinstance(data, dict):
            data.pop("idempotency_key", None)
            return orjson.dumps(data)
    return body


def _jobs_shared_across_accounts(app: Any) -> None:
    """``GET /jobs/{id}`` finds the job in any account: another key reads the first's job."""
    backend = app.state.ctx.backends["stagepro"]
    engine = backend.engine
    original = engine.job

    def job(account: Any, job_id: str) -> Any:
        for record in list(backend.state.keys.values()):
            found = record.account.jobs.get(job_id)
            if found is not None:
                return found
        return original(account, job_id)

    engine.job = job


def _any_signature_accepted(app: Any) -> None:
    """Signed upload URLs whose signature is never compared: a tampered URL is accepted."""
    import hashlib
    import hmac

    from mock_server.stagerai.signing import Signer, _string_to_sign

    class AnySignature(Signer):
        def verify(self, method: str, path: str, params: dict[str, str], now: float) -> None:
            # the signature that would match, in place of the one sent: every other rule holds
            sts = _string_to_sign(method, path, params)
            real = hmac.new(self.secret, sts.encode(), hashlib.sha256).hexdigest()
            super().verify(method, path, {**params, "X-Goog-Signature": real}, now)

    backend = app.state.ctx.backends["stagerai"]
    backend.signer = AnySignature(backend.signer.secret)


def _bad_signature(app: Any) -> None:
    """Webhooks signed with the wrong key (the secret reversed)."""
    hub = app.state.ctx.webhooks
    original = hub._headers

    def headers(endpoint: Any, body: bytes, event_id: str | None) -> dict[str, str]:
        out = original(endpoint, body, event_id)
        from mock_server.webhooks.signing import sign_header

        t = int(out["X-StagePro-Signature"].split(",")[0][2:])
        out["X-StagePro-Signature"] = sign_header(body, [endpoint.secrets[-1][0][::-1]], t)
        return out

    hub._headers = headers


def _refuse_long_ids(meth, path, status, headers, body):
    """A server whose ids are at most 32 characters: a longer one is refused ``400`` (the
    mock's error shape, naming the field), where the spec lets any of 1–64 through to 404."""
    if meth == "GET" and path.startswith("/api/v1/jobs/") and len(path) - 13 > 32:
        error = {"code": "validation_error", "message": "id is too long", "field": "id"}
        headers["content-type"] = "application/json"
        return 400, headers, orjson.dumps({"error": error})
    return status, headers, body


def _idempotency_per_body() -> Callable[[dict[str, Any], bytes], bytes]:
    """A server whose idempotency key is scoped to the body: the same key with another body
    creates another job (the mock answers 409; that conflict is a guess of the spec)."""
    bodies: dict[str, bytes] = {}

    def rewrite(scope: dict[str, Any], body: bytes) -> bytes:
        data = _job_request(scope, body)
        if data is None:
            return body
        key = data.get("idempotency_key") if isinstance(data, dict) else None
        if not isinstance(key, str):
            return body
        rest = orjson.dumps({k: v for k, v in data.items() if k != "idempotency_key"},
                            option=orjson.OPT_SORT_KEYS)
        if bodies.setdefault(key, rest) != rest:
            data["idempotency_key"] = f"{key}-{len(bodies)}-{hash(rest) & 0xFFFF}"
            return orjson.dumps(data)
        return body

    return rewrite


def _ignore_cursor(scope: dict[str, Any], body: bytes) -> bytes:
    """A server that pages some other way than the spec's cursors: ``cursor`` is ignored."""
    if scope["method"] == "GET" and scope["path"] == "/api/v1/jobs":
        from urllib.parse import parse_qsl, urlencode

        query = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
        scope["query_string"] = urlencode([(k, v) for k, v in query if k != "cursor"]).encode()
    return body


JOB = r"/api/v1/jobs/[^/]+"

MUTANTS = [
    Mutant(
        "required-field-dropped", "stagepro", ("response_schema_conformance",),
        breaks="a required field dropped (capabilities without `listing_tools`)",
        operations=("getCapabilities",), says=("`body` lacks `listing_tools` (`required`)",),
        never_says=("Schema at",),
        transform=_json_edit(r"/api/v1/capabilities", "GET", _drop("listing_tools")),
    ),
    Mutant(
        "wrong-status-code", "stagepro", ("status_code_conformance",),
        breaks="a wrong status (usage answered 201)",
        operations=("getUsage",),
        transform=_status_of(r"/api/v1/usage", "GET", 200, 201),
    ),
    Mutant(
        "wrong-content-type", "stagepro", ("content_type_conformance",),
        breaks="a wrong content type (capabilities as `text/plain`)",
        operations=("getCapabilities",),
        transform=_content_type(r"/api/v1/capabilities", "text/plain"),
    ),
    Mutant(
        "server-error-on-bad-input", "stagepro", ("not_a_server_error",),
        breaks="a 500 on bad input (every 400 answered 500)",
        operations=("createJob",),
        transform=_bad_input_500,
    ),
    Mutant(
        "auth-ignored", "stagepro", ("auth_required",),
        breaks="auth ignored (a missing or malformed key served as a valid one)",
        rewrite_request=_ignore_auth,
    ),
    Mutant(
        "status-moves-backwards", "stagepro", ("terminal_state",),
        breaks="a job's status moving backwards (completed, then processing)",
        transform=_json_edit(JOB, "GET", _status_backwards()),
    ),
    Mutant(
        "job-never-completes", "stagepro", ("terminal_state",),
        breaks="a job that never completes",
        transform=_json_edit(JOB, "GET", _never_completes),
    ),
    Mutant(
        "job-status-dropped", "stagepro", ("terminal_state",),
        breaks="a job without `status`",
        transform=_json_edit(JOB, "GET", _drop("status")),
        says=("answered 200 without `status`",),
    ),
    Mutant(
        "idempotency-ignored", "stagepro", ("idempotent_replay",),
        breaks="idempotency ignored (the key dropped before the mock sees it)",
        rewrite_request=_ignore_idempotency,
    ),
    Mutant(
        "pagination-repeats", "stagepro", ("pagination",),
        breaks="pagination repeating an item",
        transform=_json_edit(r"/api/v1/jobs", "GET", _repeat_item),
    ),
    Mutant(
        "stagerai-envelope-dropped", "stagerai", ("response_schema_conformance",),
        breaks="a Stager AI envelope dropped (an upload answered without `data`)",
        operations=("uploadImage",),
        transform=_json_edit(r"/api/image", "POST", _drop("data")),
    ),
    Mutant(
        "bad-webhook-signature", "stagepro", ("webhook_signature",),
        breaks="a bad webhook signature (signed with the wrong secret)", patch=_bad_signature,
    ),
    Mutant(
        "jobs-shared-across-accounts", "stagepro", ("object_isolation",),
        breaks="a job read by another account",
        patch=_jobs_shared_across_accounts, says=("another account read job",),
    ),
    Mutant(
        "not-found-answers-200", "stagepro", ("object_isolation", "response_schema_conformance"),
        breaks="a not-found error answered 200",
        operations=("getJob",), transform=_status_of(JOB, "GET", 404, 200),
        says=("expected 404, got 200: the body is a `not_found` error",),
        never_says=("a second account saw", "violates its schema", "Schema at"),
    ),
    Mutant(
        "any-signature-accepted", "stagerai", ("signed_upload",),
        breaks="a tampered signed upload URL accepted",
        patch=_any_signature_accepted, says=("tampered signed URL answered 200",),
    ),
    # Servers that are not ours (no /__mock/), as the vendor's API is: disagreeing only with a
    # guess of the spec (x-stagemock-guess) is reported and passes; a documented rule fails.
    Mutant(
        "accepts-undocumented-style", "stagepro", ("negative_data_rejection",),
        breaks="an undocumented style accepted (the style enum is a guess)",
        operations=("createJob",), foreign=True, exit_code=0, says=("input.style",),
        phases="coverage", rewrite_request=_accept_any("input.style", _enum("Style"), "modern"),
    ),
    Mutant(
        "batch-answers-200", "stagepro", ("status_code_conformance",),
        breaks="a batch answered 200 instead of 202 (a status the spec does not declare, "
        "where its 202 is a guess: outside the spec)",
        operations=("createBatch",), foreign=True, exit_code=0, apart="outside the spec",
        says=("createBatch", "Received: 200"),
        phases="examples",
        transform=_status_of(r"/api/v1/batches", "POST", 202, 200),
    ),
    Mutant(
        "accepts-unknown-job-type", "stagepro", ("negative_data_rejection",),
        breaks="an unknown job type accepted",
        operations=("createJob",), foreign=True, phases="coverage",
        rewrite_request=_accept_any("type", _enum("JobType"), "empty-room"),
    ),
    # Refusing valid input that only a guess allows (an id of 33–64 characters: the length
    # limit is this mock's) is a guess. (createJob's refusals of a style or a listing tool
    # cannot be told apart here: a 400 there is state-dependent, never a failure of
    # positive_data_acceptance; tests/contract/test_guess_classifier.py pins those rules.)
    Mutant(
        "rejects-long-ids", "stagepro", ("positive_data_acceptance",),
        breaks="ids of 33–64 characters refused (the length limit is a guess)",
        operations=("getJob",), foreign=True, exit_code=0, says=("`id`", "1–64"),
        phases="coverage", transform=_refuse_long_ids,
    ),
    # Property tests: a failure resting only on a guess is reported; a documented one fails.
    Mutant(
        "jobs-answer-201", "stagepro", ("terminal_state",),
        breaks="jobs answered 201 instead of the documented 202", foreign=True,
        says=("answered 201, not 202",), live_clock=True,
        transform=_status_of(r"/api/v1/jobs", "POST", 202, 201),
    ),
    Mutant(
        "idempotency-per-body", "stagepro", ("idempotent_replay",),
        breaks="idempotency keyed by body (the 409 on another body is a guess)", foreign=True, exit_code=0,
        says=("got 202, the spec's status is 409 (a guess: ", "no 409"),
        rewrite_request=_idempotency_per_body(),
    ),
    Mutant(
        "pagination-without-cursors", "stagepro", ("pagination",),
        breaks="pagination without cursors (`cursor` ignored)", foreign=True, exit_code=0,
        says=("cursors", "pagination"), rewrite_request=_ignore_cursor,
    ),
]
