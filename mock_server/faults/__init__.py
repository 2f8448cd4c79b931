"""Rehearsing the failures of real services: fault rules matched by API, operation and key
(``models``), the stage that applies them to API calls (``layer``), one entry per action
(``actions``), every rule checked against admin.yaml's ``FaultInput`` (``validation``), what
an injected answer sends (``responses``), and what a client did about them (``resilience``)."""
