"""The recorder hook (``--record FILE``): every exchange written with its verdicts, by the
writer ``recorders`` picks for the file: the JSON Lines recording (``record``) or, for a
``.har`` file, HAR 1.2 (``har_record``). Bodies are spooled while they stream
(``flow.spool_dir``), so a large upload is recorded without being held."""

from __future__ import annotations

from ..record import Recorder
from ..recorders import recorder
from . import Hook, ProxyFlow, ProxyOptions, register


@register
class RecorderHook(Hook):
    name = "recorder"
    order = 90

    def __init__(self, writer: Recorder) -> None:
        self.writer = writer

    @classmethod
    def build(cls, options: ProxyOptions) -> RecorderHook | None:
        if options.record is None:
            return None
        return cls(recorder(options.record, options.api, options.upstream, options.base_path))

    def request(self, flow: ProxyFlow) -> None:
        flow.spool_dir = self.writer.spool_dir

    def done(self, flow: ProxyFlow) -> None:
        self.writer.write(flow, {
            "request": {"conformant": not flow.request_violations,
                        "violations": flow.request_violations},
            "response": {"conformant": not flow.response_violations,
                         "violations": flow.response_violations},
        })
