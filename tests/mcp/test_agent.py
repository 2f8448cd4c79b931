"""The design agent over stdio: a session chatted to readyToRender, rendered to a job."""

from __future__ import annotations

import json

from .session import images_of, run_session, text_of


def test_agent_session_chatted_to_ready_and_rendered(mock):
    async def body(s):
        session = await s.call_tool("start_agent_session",
                                    {"image_url": "https://example.com/room.jpg"})
        assert not session.is_error, text_of(session)
        sid = json.loads(session.content[0].text)["id"]
        early = await s.call_tool("render_agent_session", {"id": sid})
        brief = await s.call_tool("send_agent_message", {
            "id": sid, "message": "A scandinavian living room with oak and a grey sofa"})
        confirm = await s.call_tool("send_agent_message", {"id": sid, "message": "Yes, go ahead"})
        render = await s.call_tool("render_agent_session", {"id": sid})
        await s.call_tool("advance_clock", {"seconds": 60})
        job_id = json.loads(render.content[0].text)["id"] if not render.is_error else None
        done = await s.call_tool("wait_for_job", {"id": job_id, "timeout_seconds": 10})
        return early, brief, confirm, render, done

    early, brief, confirm, render, done = run_session(mock.url + "/api/v1", "sk_test_mcp_agent",
                                                      body)
    assert early.is_error and "[not_ready_to_render]" in text_of(early)
    assert not brief.is_error and json.loads(brief.content[0].text)["readyToRender"] is False
    assert brief.structured_content["design_brief"]["style"] == "scandinavian"
    assert not confirm.is_error and json.loads(confirm.content[0].text)["readyToRender"] is True
    assert "render_agent_session" in confirm.content[1].text
    assert not render.is_error, text_of(render)
    job = json.loads(render.content[0].text)
    assert job["type"] == "interior-design" and job["input"]["style"] == "scandinavian"
    assert json.loads(done.content[0].text)["status"] == "completed"
    assert len(images_of(done)) == 1
