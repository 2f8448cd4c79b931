"""StagePro AI design agent handlers: sessions, chat (JSON and SSE), render.

SSE framing (``stream: true``): ``event: start`` ``{session_id, message_id}``, then one
``event: delta`` ``{text}`` per word, then ``event: done`` with the same AgentReply as the
JSON answer; each event is ``event: <name>\\ndata: <json>\\n\\n``. Errors found before
streaming starts are ordinary JSON error responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from ..errors import Conflict, Forbidden, NotFound, PaymentRequired, Unprocessable
from ..http import base_url, dumps, json_response
from ..spec.router import Call
from . import operation
from .agent_models import SESSION_TTL, Session, Turn, respond, sse_chunks


def _backend(call: Call) -> Any:
    return call.context.backends["stagepro"]


def _sessions(call: Call) -> dict[str, Session]:
    return _backend(call).agent_sessions


def _session(call: Call) -> Session:
    session = _sessions(call).get(call.path["id"])
    if session is None or session.account_key != call.principal.account.key:
        raise NotFound(f"no agent session {call.path['id']!r}", field="id")
    now = call.context.clock.now()
    if session.expired(now):
        raise Unprocessable(
            f"agent session {session.id} expired at {session.as_json(now)['expires_at']} "
            "(sessions live 24 h); start a new one",
            field="id", code="session_expired",
        )
    return session


def _job_body(session: Session, job_type: str, extra: dict[str, Any]) -> dict[str, Any]:
    source = ({"upload_id": session.upload_id} if session.upload_id
              else {"image_url": session.image_url})
    job_input: dict[str, Any] = {**source}
    style = extra.get("style") or session.brief.style
    room = extra.get("room_type") or session.brief.room_type
    if style:
        job_input["style"] = style
    if room:
        job_input["room_type"] = room
    if extra.get("options"):
        job_input["options"] = extra["options"]
    body: dict[str, Any] = {"type": job_type, "input": job_input,
                            "metadata": {"agent_session_id": session.id}}
    for key in ("idempotency_key", "webhook_endpoint_id"):
        if extra.get(key):
            body[key] = extra[key]
    return body


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
    auto_job_id = None
    if reply.became_ready and session.auto_render and session.render_job_id is None:
        # Create the job first: if it is refused (402, 403...) nothing of this turn is kept.
        job = _backend(call).create_job(
            call.principal, _job_body(session, "interior-design", {}),
            base_url(call.request, ctx.settings.public_url),
        )
        auto_job_id = job["id"]
    key = session.account_key
    session.history.append(Turn("user", message, ctx.ids.new("msg", key)))
    answer = Turn("assistant", reply.content, ctx.ids.new("msg", key))
    session.history.append(answer)
    session.brief, session.ready = reply.brief, reply.ready
    if auto_job_id:
        session.render_job_id = auto_job_id
    payload = {
        "session_id": session.id,
        "message": {"id": answer.id, "role": "assistant", "content": answer.content},
        "readyToRender": session.ready,
        "design_brief": session.brief.as_json(),
        "auto_render_job_id": auto_job_id,
    }
    if not call.body.get("stream", False):
        return json_response(payload)

    async def events() -> AsyncIterator[bytes]:
        yield _sse("start", {"session_id": session.id, "message_id": answer.id})
        for piece in sse_chunks(answer.content):
            yield _sse("delta", {"text": piece})
        yield _sse("done", payload)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


@operation("renderAgentSession")
async def renderAgentSession(call: Call) -> Response:
    session = _session(call)
    if not session.ready:
        raise Conflict(
            "the agent is not readyToRender yet: agree on a style and a room, then confirm",
            field="id", code="not_ready_to_render",
        )
    body = call.body or {}
    try:
        job = _backend(call).create_job(
            call.principal, _job_body(session, body.get("job_type", "interior-design"), body),
            base_url(call.request, call.context.settings.public_url),
        )
    except (PaymentRequired, Forbidden) as err:
        err.field = "job_type"  # the render's field that sets the cost
        raise
    session.render_job_id = job["id"]
    return json_response(job, 202)


