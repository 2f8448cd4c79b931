"""StagePro API v1 emulation (``openapi/stagepro.yaml``)."""
