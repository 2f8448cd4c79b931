"""``spec.choices.distinct``: a rule stated twice is said once, with its stronger verdict."""

from __future__ import annotations

from mock_server.spec.choices import distinct
from mock_server.spec.guesses import SUFFIX


def test_a_rule_stated_twice_is_said_once_and_the_documented_statement_wins():
    guessed = {"field": "body.batch_id", "message": f"is required {SUFFIX}", "rule": "guess"}
    documented = {"field": "body.batch_id", "message": "is required", "rule": "documented",
                  "source": "000 §Batches"}
    other = {"field": "body.job_ids", "message": "is required", "rule": "guess"}
    assert distinct([guessed, other, documented]) == [documented, other]
    assert distinct([documented, guessed]) == [documented]
