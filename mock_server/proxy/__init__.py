"""Meeting the real services: ``stagemock proxy`` (a validating, recording reverse proxy:
``app``, one ``flow.Exchange`` per request, ``verdicts`` against the spec, ``redact``,
``record``), ``stagemock replay`` and ``stagemock drift`` (``replay``, ``drift``)."""
