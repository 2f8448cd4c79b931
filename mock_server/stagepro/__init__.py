"""StagePro API v1 emulation (``openapi/stagepro.yaml``)."""

from ..spec.operations import Operations

#: This API's handlers by operationId (``@operation("...")`` in its handler modules).
operation = Operations("stagepro")
