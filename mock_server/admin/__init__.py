"""The control plane (``/__mock/``), described by ``openapi/admin.yaml``."""

from ..spec.operations import Operations

#: This API's handlers by operationId (``@operation("...")`` in its handler modules).
operation = Operations("admin")
