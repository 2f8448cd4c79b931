"""``stagemock serve --record FILE``: the mock's own exchanges written in the proxy's
recording format (``record``), so a session with the mock replays (``stagemock replay``)
against any server, or a fresh mock, like one recorded in front of the real API. The front
door hands each journaled request to ``Capture.wrap``; nothing is wrapped when not recording.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import Message, Receive, Scope, Send

from ..journal import JournalEntry
from .flow import Exchange, Tap, capture_for
from .recorders import recorder


class Capture:
    def __init__(self, path: str) -> None:
        #: One file for both APIs: each exchange names its ``api``, the header says "both".
        self.recorder = recorder(path, "both", "stagemock serve", "")

    def wrap(self, scope: Scope, receive: Receive, send: Send,
             entry: JournalEntry) -> tuple[Receive, Send, Callable[[], None]]:
        """Taps on the request's ``receive`` and the response's ``send``, and the function
        that writes the exchange once the app has answered."""
        started = time.perf_counter()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        spool = self.recorder.spool_dir
        flow = Exchange(entry.seq, scope["method"], scope["path"],
                        scope.get("query_string", b"").decode("latin-1"), headers, time.time(),
                        Tap(spool, capture_for(content_type)))

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                flow.request.feed(message.get("body", b""))
            return message

        async def tapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                flow.first_byte = time.perf_counter() - started
                flow.status = message["status"]
                flow.response_headers = [(k.decode("latin-1"), v.decode("latin-1"))
                                         for k, v in message.get("headers", [])]
                media = next((v for k, v in flow.response_headers
                              if k.lower() == "content-type"), None)
                flow.response = Tap(spool, capture_for(media))
            elif message["type"] == "http.response.body" and flow.response is not None:
                flow.response.feed(message.get("body", b""))
            await send(message)

        def done() -> None:
            flow.finished = time.perf_counter() - started
            flow.request.close()
            if flow.response is not None:
                flow.response.close()
            flow.operation_id = entry.operation_id
            flow.api = entry.api
            if entry.api is None:  # not an operation of either API (/files/, unknown paths)
                flow.request.discard()
                if flow.response is not None:
                    flow.response.discard()
                return
            self.recorder.write(flow, {
                "request": {"conformant": entry.conformant, "violations": entry.violations},
                "response": None,  # the mock's own answers: checked by its tests, not here
            })

        return tapped_receive, tapped_send, done
