"""The verdicts hook: the client's request and the upstream's response judged against the
spec (``proxy.verdicts.SpecIndex``, each finding with its ``spec.rules`` verdict), secrets
masked; what could not be judged (a body past the capture limit, a malformed multipart body)
is said in the flow's notes."""

from __future__ import annotations

from urllib.parse import parse_qs

from ...jsontypes import JsonObject
from .. import redact
from ..flow import CAPTURE_LIMIT, MultipartTap, capture_for
from ..verdicts import SpecIndex
from . import Hook, ProxyFlow, ProxyOptions, register


@register
class VerdictHook(Hook):
    name = "verdicts"
    order = 20

    def __init__(self, index: SpecIndex) -> None:
        self.index = index

    @classmethod
    def build(cls, options: ProxyOptions) -> VerdictHook:
        return cls(options.index)

    def request(self, flow: ProxyFlow) -> None:
        content_type = _header(flow.request_headers, "content-type")
        if content_type.lower().startswith("multipart/form-data"):
            flow.request.multipart = MultipartTap(content_type)  # the form, read as it streams

    def response(self, flow: ProxyFlow) -> None:
        req = flow.request
        lower = {k.lower(): v for k, v in flow.request_headers}
        form = None
        multipart = req.multipart
        if multipart is not None:
            if multipart.error:
                flow.notes.append(multipart.error)
            form = multipart.as_form()
        if req.size > 0 and req.body is None and multipart is None \
                and capture_for(lower.get("content-type")) == CAPTURE_LIMIT:
            flow.notes.append(f"request body of {req.size} bytes: past the capture limit, "
                              "not validated")
        flow.request_violations = [_redacted(v) for v in self.index.check_request(
            flow.rules, flow.method, flow.path, flow.path_params,
            parse_qs(flow.query, keep_blank_values=True), lower, req.body, req.complete, form)]
        if flow.response is not None:
            headers = {k.lower(): v for k, v in flow.response_headers}
            flow.response_violations = [_redacted(v) for v in self.index.check_response(
                flow.rules, flow.status or 0, headers, flow.response.body,
                flow.response.complete)]


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _redacted(violation: JsonObject) -> JsonObject:
    return {k: redact.text(v) if isinstance(v, str) else v for k, v in violation.items()}
