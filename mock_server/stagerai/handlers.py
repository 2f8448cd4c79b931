"""Stager AI handlers, named after ``openapi/stagerai.yaml``'s operationIds."""

from __future__ import annotations

from ..spec.router import Handler, not_implemented

HANDLERS: dict[str, Handler] = {}
for _op in (
    "createProject", "createHdrImageGroup", "getHdrImageGroup", "createHdrUploadUrl",
    "enhanceHdrImageGroup", "uploadImage", "stageImage", "replaceLawn", "replaceSky",
    "putSignedUpload", "getStorageObject",
):
    HANDLERS[_op] = not_implemented(_op)
