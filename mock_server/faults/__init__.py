"""Rehearsing the failures of real services: fault rules matched by API, operation and key
(``models``), what they answer (``responses``), and what a client did about them
(``resilience``)."""
