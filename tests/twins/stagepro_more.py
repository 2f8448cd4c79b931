"""The StagePro twin's AI Design Agent (sessions, messages with optional SSE, render) and its
console endpoints (keys and webhooks behind a console session cookie), written from the
reference's "AI Design Agent", "Webhooks" and "Endpoints" sections alone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.twins import stagepro_rules as rules
from tests.twins.common import BadBody, json_object, new_id
from tests.twins.stagepro import Account, StagePro, error, not_found


@dataclass
class Session:
    key: str
    image: dict
    auto_render: bool
    expires: float
    messages: int = 0
    job_ids: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """The twin's agent is ready to render once it has heard one message."""
        return self.messages > 0


class Agent:
    def __init__(self, sp: StagePro) -> None:
        self.sp = sp
        self.sessions: dict[str, Session] = {}

    def session(self, key: str, session_id: str) -> Session | None:
        found = self.sessions.get(session_id)
        if found is None or found.key != key or found.expires <= self.sp.clock():
            return None
        return found

    async def create(self, request: Request, key: str) -> Response:
        body = await json_object(request)
        image = {k: body[k] for k in ("image_url", "upload_id") if k in body}
        rules.check_input("interior-design", image,
                          lambda u: self.sp.live_upload(key, u) is not None)
        auto = body.get("auto_render", False)
        if not isinstance(auto, bool):
            raise BadBody("auto_render must be a boolean")
        session_id = new_id()  # chat is free: a session spends no credits
        self.sessions[session_id] = Session(key, image, auto, self.sp.clock() + rules.SESSION_TTL)
        return JSONResponse({"id": session_id, "auto_render": auto}, 201)

    def render(self, key: str, session: Session, kind: str) -> str | None:
        """A render job for ``session``; None when the key has no credits left."""
        if not self.sp.spend(key, 1):
            return None
        job = self.sp.make_job(key, kind, dict(session.image), None)
        session.job_ids.append(job.id)
        return job.id

    async def message(self, request: Request, key: str) -> Response:
        session = self.session(key, request.path_params["id"])
        if session is None:
            return not_found()
        body = await json_object(request)
        text = body.get("message")
        if not isinstance(text, str) or not text.strip():
            raise BadBody("message must be a non-empty string")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise BadBody("stream must be a boolean")
        was_ready = session.ready
        session.messages += 1
        reply = (f"Reply {session.messages}: warmer lighting, a lighter rug and fewer pieces "
                 "along the walls would open this room up.")
        outcome: dict = {"readyToRender": session.ready}
        if session.auto_render and session.ready and not was_ready:
            job_id = self.render(key, session, "interior-design")
            outcome["job_id"] = job_id
            if job_id is None:
                outcome["render_error"] = "Insufficient credits"
        if not stream:
            return JSONResponse({"reply": reply, **outcome})

        async def events() -> AsyncIterator[bytes]:
            for word in reply.split(" "):
                yield f"data: {json.dumps({'text': word + ' '})}\n\n".encode()
            yield f"event: done\ndata: {json.dumps(outcome)}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    async def render_endpoint(self, request: Request, key: str) -> Response:
        session = self.session(key, request.path_params["id"])
        if session is None:
            return not_found()
        body = await json_object(request, required=False)
        kind = body.get("job_type", "interior-design")
        if kind not in rules.CORE_TYPES:
            raise BadBody(f"job_type must be one of {', '.join(rules.CORE_TYPES)}")
        if not session.ready:
            raise BadBody("the session is not ready to render yet")
        job_id = self.render(key, session, kind)
        if job_id is None:
            return error(402, "Insufficient credits")
        return JSONResponse({"id": job_id, "status": "queued"})


class Console:
    """Keys and webhooks: a console session cookie, never an API key."""

    def __init__(self, sp: StagePro) -> None:
        self.sp = sp
        self.keys: dict[str, str] = {}

    def allowed(self, request: Request) -> bool:
        return request.cookies.get(rules.CONSOLE_COOKIE) == rules.CONSOLE_TOKEN

    async def keys_endpoint(self, request: Request) -> Response:
        if not self.allowed(request):
            return error(401, "Console session required")
        if request.method == "GET":
            return JSONResponse({"keys": [
                {"id": key_id, "prefix": key[:12], "revoked": key in self.sp.revoked}
                for key_id, key in self.keys.items()]})
        try:
            body = await json_object(request, required=False)
        except BadBody as exc:
            return error(400, str(exc))
        if "name" in body and not isinstance(body["name"], str):
            return error(400, "name must be a string")
        key_id, key = new_id(), f"sk_live_{new_id().replace('-', '')}"
        self.keys[key_id] = key
        self.sp.accounts[key] = Account(100)
        return JSONResponse({"id": key_id, "key": key}, 201)

    async def webhooks_endpoint(self, request: Request) -> Response:
        if not self.allowed(request):
            return error(401, "Console session required")
        hooks = self.sp.webhooks
        if request.method == "GET":
            return JSONResponse({"webhooks": [{"id": i, **h} for i, h in hooks.items()]})
        try:
            body = await json_object(request, required=False)
        except BadBody as exc:
            return error(400, str(exc))
        if "challenge" in body:  # answering the verification challenge of endpoint "id"
            hook = hooks.get(body.get("id"))  # type: ignore[arg-type]
            if hook is None or body["challenge"] != hook["challenge"]:
                return error(400, "verification failed")
            hook["verified"] = True
            return JSONResponse({"id": body["id"], "verified": True})
        url, events = body.get("url"), body.get("events", list(rules.EVENTS))
        if url is not None and not isinstance(url, str):
            return error(400, "url must be a string")
        if not isinstance(events, list) or any(e not in rules.EVENTS for e in events):
            return error(400, f"events must be a list of {', '.join(rules.EVENTS)}")
        hook_id = new_id()
        hooks[hook_id] = {"url": url, "events": events, "verified": False,
                          "challenge": new_id()}
        return JSONResponse({"id": hook_id, "challenge": hooks[hook_id]["challenge"],
                             "verified": False}, 201)


def routes(sp: StagePro) -> list[Route]:
    agent, console = Agent(sp), Console(sp)
    k = sp.keyed
    return [
        Route("/agent/sessions", k(agent.create), methods=["POST"]),
        Route("/agent/sessions/{id}/messages", k(agent.message), methods=["POST"]),
        Route("/agent/sessions/{id}/render", k(agent.render_endpoint), methods=["POST"]),
        Route("/keys", console.keys_endpoint, methods=["GET", "POST"]),
        Route("/webhooks", console.webhooks_endpoint, methods=["GET", "POST"]),
    ]
