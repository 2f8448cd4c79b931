"""StagePro AI design agent handlers: sessions, chat (JSON and SSE), render.

SSE framing (``stream: true``): ``event: start`` ``{session_id, message_id}``, then one
``event: delta`` ``{text}`` per word, then ``event: done`` with the same AgentReply as the
JSON answer; each event is ``event: <name>\\ndata: <json>\\n\\n``. Errors found before
streaming starts are ordinary JSON error responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.responses import Response, StreamingResponse

from ..errors import ApiError, Forbidden, NotFound, PaymentRequired
from ..http import RawJSON, base_url, dumps, json_response
from ..jsontypes import JsonObject
from ..spec.binding import Call
from . import operation
from .agent_models import SESSION_TTL, Session, Turn, refused_render, respond, sse_chunks
from .cursors import fingerprint
from .exceptions import NotReadyToRender, SessionExpired
from .handlers import idempotency_header, idempotency_lookup, replayed

if TYPE_CHECKING:
    from .backend import StageProBackend


def _backend(call: Call) -> StageProBackend:
    return call.context.stagepro


def _sessions(call: Call) -> dict[str, Session]:
    return _backend(call).agent_sessions


def _session(call: Call) -> Session:
    session = _sessions(call).get(call.path["id"])
    if session is None or session.account_key != call.principal.account.key:
        raise NotFound(f"no agent session {call.path['id']!r}", field="id")
    now = call.context.clock.now()
    if session.expired(now):
        raise SessionExpired(
            f"agent session {session.id} expired at {session.as_json(now)['expires_at']} "
            "(sessions live 24 h); start a new one",
            field="id",
        )
    return session


def _job_body(session: Session, job_type: str, extra: JsonObject) -> JsonObject:
    source = ({"upload_id": session.upload_id} if session.upload_id
              else {"image_url": session.image_url})
    job_input: JsonObject = {**source}
    style = extra.get("style") or session.brief.style
    room = extra.get("room_type") or session.brief.room_type
    if style:
        job_input["style"] = style
    if room:
        job_input["room_type"] = room
    if extra.get("options"):
        job_input["options"] = extra["options"]
    body: JsonObject = {"type": job_type, "input": job_input,
                            "metadata": {"agent_session_id": session.id}}
    for key in ("idempotency_key", "webhook_endpoint_id"):
        if extra.get(key):
            body[key] = extra[key]
    return body


def _state(job_body: JsonObject) -> str:
    """The session state a render is of: the job it would create (its key aside)."""
    return fingerprint("agentRender", {k: v for k, v in job_body.items()
                                       if k != "idempotency_key"})


@operation("createAgentSession")
async def createAgentSession(call: Call) -> Response:
    backend = _backend(call)
    body = call.body
    backend.check_image_source(call.principal, body.get("image_url"), body.get("upload_id"))
    ctx = call.context
    now = ctx.clock.now()
    account = call.principal.account
    session = Session(
        id=ctx.ids.new("ags", account.key),
        account_key=account.key,
        image_url=body.get("image_url"),
        upload_id=body.get("upload_id"),
        auto_render=body.get("auto_render", False),
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    backend.agent_sessions[session.id] = session
    return json_response(session.as_json(now), 201)


@operation("sendAgentMessage")
async def sendAgentMessage(call: Call) -> Response:
    session = _session(call)
    ctx = call.context
    message = call.body["message"]
    reply = respond(session, message)
    session.brief, session.ready = reply.brief, reply.ready
    content = reply.content
    auto_job_id = None
    auto_error = None
    if reply.became_ready and session.auto_render and session.render_job_id is None:
        # Chat is free and always answers: a refused render (402, 403, 422...) is reported
        # in the reply (`auto_render_error`), the session stays readyToRender for `render`.
        job_body = _job_body(session, "interior-design", {})
        try:
            job = _backend(call).create_job(
                call.principal, job_body, base_url(call.request, ctx.settings.public_url),
            )
        except ApiError as err:
            auto_error = {"status": err.status, **err.payload()}
            if err.field == "type":
                auto_error["field"] = "job_type"
            content = f"{content} {refused_render(err.message)}"
        else:
            auto_job_id = job["id"]
            session.render_job_id = auto_job_id
            session.renders[_state(job_body)] = dumps(job)
    key = session.account_key
    session.history.append(Turn("user", message, ctx.ids.new("msg", key)))
    answer = Turn("assistant", content, ctx.ids.new("msg", key))
    session.history.append(answer)
    payload = {
        "session_id": session.id,
        "message": {"id": answer.id, "role": "assistant", "content": answer.content},
        "readyToRender": session.ready,
        "design_brief": session.brief.as_json(),
        "auto_render_job_id": auto_job_id,
    }
    if auto_error is not None:
        payload["auto_render_error"] = auto_error
    if not call.body.get("stream", False):
        return json_response(payload)

    async def events() -> AsyncIterator[bytes]:
        yield _sse("start", {"session_id": session.id, "message_id": answer.id})
        for piece in sse_chunks(answer.content):
            yield _sse("delta", {"text": piece})
        yield _sse("done", payload)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


def _sse(event: str, data: JsonObject) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


@operation("renderAgentSession")
async def renderAgentSession(call: Call) -> Response:
    session = _session(call)
    if not session.ready:
        raise NotReadyToRender(
            "the agent is not readyToRender yet: agree on a style and a room, then confirm",
            field="id",
        )
    idempotency_header(call)
    body = call.body or {}
    job_body = _job_body(session, body.get("job_type", "interior-design"), body)
    account = call.principal.account
    # An idempotency_key works as on POST /jobs (per account): replay, or 409 for another body.
    found = idempotency_lookup(call, "renderAgentSession")
    if found is not None and found[2] is not None:
        return replayed(found[2])
    # The same session state (the same job to create) renders the same job: no second charge.
    state = _state(job_body)
    raw = session.renders.get(state)
    if raw is not None:
        if found is not None:
            account.idempotency[found[0]] = (found[1], raw)
        return replayed(raw)
    try:
        job = _backend(call).create_job(
            call.principal, job_body, base_url(call.request, call.context.settings.public_url),
        )
    except (PaymentRequired, Forbidden) as err:
        err.field = "job_type"  # the render's field that sets the cost
        raise
    raw = dumps(job)
    session.renders[state] = raw
    if found is not None:
        account.idempotency[found[0]] = (found[1], raw)
    session.render_job_id = job["id"]
    return RawJSON(raw, 202)


