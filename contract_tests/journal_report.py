"""``stagemock journal-report`` lives in the package now (``mock_server.journal_report``: the
pytest plugin builds the same report, and ``mock_server`` never imports ``contract_tests``).
This module re-exports it for ``python -m contract_tests journal-report`` and older imports."""

from mock_server.journal_report import (  # noqa: F401
    FAIL_ON,
    breaks,
    build,
    classify,
    main,
    offered,
    offered_events,
    summarize,
)
