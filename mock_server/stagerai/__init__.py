"""Stager AI API emulation (``openapi/stagerai.yaml``)."""
