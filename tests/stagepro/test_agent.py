"""The AI design agent over real HTTP: conversation to a completed render, SSE equality,
TTL, 409 before ready, auto_render once, chat free / render paid."""

from __future__ import annotations

import json

import httpx
import pytest

from mock_server.stagepro.agent_models import Session, Turn, read_wishes, respond, sse_chunks

CONVERSATION = [
    "What would you improve in this living room?",
    "I'd like a scandinavian look with oak and white, and a big sofa",
    "yes, go ahead",
]


def _session(client, **extra):
    r = client.post("/agent/sessions", json={"image_url": "https://example.com/room.jpg", **extra})
    assert r.status_code == 201
    return r.json()


def _parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_full_conversation_to_completed_render(sp, stagepro_mock):
    s = _session(sp)
    replies = [sp.post(f"/agent/sessions/{s['id']}/messages", json={"message": m}).json() for m in CONVERSATION]
    assert [r["readyToRender"] for r in replies] == [False, False, True]
    assert replies[-1]["design_brief"] == {"style": "scandinavian", "room_type": "living-room", "colors": ["white", "oak"], "furniture": ["sofa"]}
    job = sp.post(f"/agent/sessions/{s['id']}/render", json={"job_type": "interior-design"})
    assert job.status_code == 202
    job = job.json()
    assert job["input"]["style"] == "scandinavian" and job["input"]["room_type"] == "living-room"
    stagepro_mock.advance(10)
    done = sp.get(f"/jobs/{job['id']}").json()
    assert done["status"] == "completed" and httpx.get(done["output"]["images"][0]["url"]).status_code == 200


def test_streamed_equals_non_streamed(sp):
    a, b = _session(sp), _session(sp)
    for m in CONVERSATION:
        plain = sp.post(f"/agent/sessions/{a['id']}/messages", json={"message": m}).json()
        r = sp.post(f"/agent/sessions/{b['id']}/messages", json={"message": m, "stream": True})
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _parse_sse(r.text)
        assert events[0][0] == "start" and events[-1][0] == "done"
        text = "".join(e[1]["text"] for e in events if e[0] == "delta")
        assert text == events[-1][1]["message"]["content"]
        assert text == plain["message"]["content"]
        assert events[-1][1]["readyToRender"] == plain["readyToRender"]


def test_replies_are_deterministic():
    def run():
        s = Session("ags_x", "k", "https://x.test/a.jpg", None, False, 0, 86400)
        out = []
        for m in CONVERSATION:
            r = respond(s, m)
            s.history.append(None)  # type: ignore[arg-type]
            s.history.append(None)  # type: ignore[arg-type]
            s.brief, s.ready = r.brief, r.ready
            out.append(r.content)
        return out
    assert run() == run()


def test_sse_chunks_concatenate_exactly():
    text = "  Hello there,  a modern   living room.\n Ready?"
    assert "".join(sse_chunks(text)) == text


@pytest.mark.parametrize("message,style,room", [
    ("make the bedroom feel boho", "bohemian", "bedroom"),
    ("A japandi kitchen please", "japandi", "kitchen"),
    ("nothing specific", None, None),
])
def test_reads_wishes(message, style, room):
    w = read_wishes(message)
    assert (w.style, w.room_type) == (style, room)


def test_render_before_ready_is_409(sp):
    s = _session(sp)
    r = sp.post(f"/agent/sessions/{s['id']}/render", json={"job_type": "interior-design"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_ready_to_render"


def test_session_expires_after_24h(sp, stagepro_mock):
    s = _session(sp)
    stagepro_mock.advance(86400)
    r = sp.post(f"/agent/sessions/{s['id']}/messages", json={"message": "hello"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "session_expired"


def test_auto_render_queues_exactly_one_job(sp):
    s = _session(sp, auto_render=True)
    replies = [sp.post(f"/agent/sessions/{s['id']}/messages", json={"message": m}).json() for m in CONVERSATION + ["yes, and add plants", "yes"]]
    ids = [r["auto_render_job_id"] for r in replies]
    assert ids[:2] == [None, None] and ids[2] is not None and ids[3:] == [None, None]
    assert len(sp.get("/jobs").json()["data"]) == 1


def test_chat_is_free_render_is_paid(http, stagemock_server):
    key = "sk_live_agent_pay"
    http.post("/__mock/accounts", json={"api_key": key, "credits": 10})
    c = httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"})
    s = _session(c)
    for m in CONVERSATION:
        c.post(f"/agent/sessions/{s['id']}/messages", json={"message": m})
    assert c.get("/usage").json()["credits"]["balance"] == 10
    c.post(f"/agent/sessions/{s['id']}/render", json={"job_type": "virtual-stage"})
    assert c.get("/usage").json()["credits"]["balance"] == 8
    stagemock_server.reset(key)


def test_unknown_session_and_upload(sp):
    assert sp.post("/agent/sessions/ags_nope/messages", json={"message": "hi"}).status_code == 404
    r = sp.post("/agent/sessions", json={"upload_id": "upl_nope"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "upload_not_found"


def _ready(c, **extra):
    s = _session(c, **extra)
    replies = [c.post(f"/agent/sessions/{s['id']}/messages", json={"message": m}) for m in CONVERSATION]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return s, [r.json() for r in replies]


def test_rendering_the_same_state_is_one_job_charged_once(http, stagemock_server):
    key = "sk_live_agent_render_once"
    http.post("/__mock/accounts", json={"api_key": key, "credits": 10})
    with httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": f"Bearer {key}"}) as c:
        s, _ = _ready(c)
        r = [c.post(f"/agent/sessions/{s['id']}/render", json={}) for _ in range(3)]
        assert [x.status_code for x in r] == [202, 202, 202]
        assert r[0].content == r[1].content == r[2].content
        assert "Idempotent-Replayed" not in r[0].headers and r[2].headers["Idempotent-Replayed"] == "true"
        assert c.get("/usage").json()["credits"]["balance"] == 8 and len(c.get("/jobs").json()["data"]) == 1
        # another body (or a changed brief) is another state: a new job
        other = c.post(f"/agent/sessions/{s['id']}/render", json={"job_type": "virtual-stage"})
        assert other.status_code == 202 and other.json()["id"] != r[0].json()["id"]
        c.post(f"/agent/sessions/{s['id']}/messages", json={"message": "make it industrial"})
        changed = c.post(f"/agent/sessions/{s['id']}/render", json={})
        assert changed.json()["input"]["style"] == "industrial" and changed.json()["id"] != r[0].json()["id"]
        assert c.get("/usage").json()["credits"]["balance"] == 4
    stagemock_server.reset(key)


def test_render_takes_an_idempotency_key_and_its_header(sp):
    s, _ = _ready(sp)
    a = sp.post(f"/agent/sessions/{s['id']}/render", json={"idempotency_key": "r1"})
    b = sp.post(f"/agent/sessions/{s['id']}/render", headers={"Idempotency-Key": "r1"})
    assert a.status_code == 202 and b.headers["Idempotent-Replayed"] == "true" and a.content == b.content
    c = sp.post(f"/agent/sessions/{s['id']}/render", json={"job_type": "virtual-stage"}, headers={"Idempotency-Key": "r1"})
    assert c.status_code == 409 and c.json()["error"]["code"] == "idempotency_conflict"
    d = sp.post(f"/agent/sessions/{s['id']}/render", json={"idempotency_key": "x"}, headers={"Idempotency-Key": "y"})
    # the documented body field wins over a header that differs (no 4xx: schema-valid)
    assert d.status_code == 202, d.text


def test_auto_render_without_credits_still_answers_the_chat(stagemock_server):
    with httpx.Client(base_url=stagemock_server.url + "/api/v1", headers={"Authorization": "Bearer sk_live_mock_no_credits"}) as c:
        s, replies = _ready(c, auto_render=True)
        last = replies[-1]
        assert last["readyToRender"] is True and last["auto_render_job_id"] is None
        err = last["auto_render_error"]
        assert err["status"] == 402 and err["code"] == "insufficient_credits" and err["field"] == "job_type"
        assert "couldn't start the render" in last["message"]["content"]
        assert "auto_render_error" not in replies[0]
        r = c.post(f"/agent/sessions/{s['id']}/render", json={})
        assert r.status_code == 402 and r.json()["error"]["field"] == "job_type"


def test_auto_render_job_is_the_render_of_that_state(sp):
    s, replies = _ready(sp, auto_render=True)
    job_id = replies[-1]["auto_render_job_id"]
    r = sp.post(f"/agent/sessions/{s['id']}/render", json={})
    assert r.json()["id"] == job_id and r.headers["Idempotent-Replayed"] == "true"
    assert len(sp.get("/jobs").json()["data"]) == 1


def test_articles_and_no_greeting_mid_conversation():
    session = Session("ags_x", "k", "https://x.test/a.jpg", None, False, 0.0, 86400.0)
    assert "an industrial style" in respond(session, "industrial please").content
    reply = respond(session, "an industrial kitchen")
    assert "a industrial" not in reply.content
    # greetings only open a conversation: replay many turns without a wish
    for i in range(40):
        text = respond(session, f"hmm {i}").content
        if session.history:
            assert "Let's design this room together." not in text
            assert "Happy to help" not in text
        session.history.append(Turn("user", f"hmm {i}", f"msg_{i}"))


def test_there_is_no_session_read_and_every_reply_carries_the_state(sp):
    s, replies = _ready(sp)
    assert sp.get(f"/agent/sessions/{s['id']}").status_code in (404, 405)
    assert all({"design_brief", "readyToRender"} <= set(r) for r in replies)


@pytest.mark.parametrize("seed", range(12))
def test_a_reply_opens_once(seed):
    """A confirmation or a refusal with nothing new to hear opens with its own word
    ("Perfect.", "No problem"), not an acknowledgement before it ("Understood. Perfect.")."""
    session = Session("ags_x", "k", "https://x.test/a.jpg", None, False, 0.0, 86400.0)
    for message in ("a modern living room", f"hmm {seed}"):
        session.brief = respond(session, message).brief
        session.history.append(Turn("user", message, f"msg_{len(session.history)}"))
    acks = ("Got it.", "Understood.", "Sure.")
    confirmed = respond(session, "yes go ahead").content
    assert confirmed.startswith("Perfect. I'll stage"), confirmed
    assert not any(ack in confirmed for ack in acks), confirmed
    declined = respond(session, f"no, not yet {seed}").content
    assert declined.startswith("No problem — tell me what to change. Here's the plan"), declined
    assert not any(ack in declined for ack in acks), declined
    heard = respond(session, "yes, scandinavian").content  # what was heard is the opener
    assert heard.startswith(("Love it — ", "Great choice: ", "Noted: ")), heard
    assert "Perfect." not in heard, heard
