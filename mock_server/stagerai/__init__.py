"""Stager AI API emulation (``openapi/stagerai.yaml``)."""

from ..spec.operations import Operations

#: This API's handlers by operationId (``@operation("...")`` in its handler modules).
operation = Operations("stagerai")
