"""The control plane (``/__mock/``), described by ``openapi/admin.yaml``."""
