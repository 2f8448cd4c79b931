"""The pure parts of faults: counting, the compact ``--fault`` form, the rate limit's bucket
and the resilience findings read from journal entries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.errors import ValidationFailed
from mock_server.faults.actions import ACTIONS
from mock_server.faults.models import FaultBook, RateLimit, parse_spec
from mock_server.faults.resilience import findings
from mock_server.faults.validation import RuleSchema
from tests.conftest import OPENAPI

OPS = {"stagepro": {"createJob", "listJobs"}, "webhooks": {"job.completed"}}


def _book(seed: int = 0) -> FaultBook:
    return FaultBook({k: set(v) for k, v in OPS.items()}, seed, actions=ACTIONS)


@given(after=st.integers(0, 5), times=st.integers(1, 5), calls=st.integers(0, 15))
def test_after_then_times_then_nothing(after, times, calls):
    book = _book()
    book.add("flt_1", {"api": "stagepro", "action": "error", "after": after, "times": times})
    fired = [book.match("stagepro", "listJobs", None) is not None for _ in range(calls)]
    expected = [after <= i < after + times for i in range(calls)]
    assert fired == expected


def test_the_first_rule_that_fires_wins_and_the_later_ones_do_not_see_the_call():
    book = _book()
    first = book.add("flt_1", {"api": "stagepro", "action": "error", "operation": "createJob"})
    second = book.add("flt_2", {"api": "stagepro", "action": "reset"})
    assert book.match("stagepro", "createJob", "k") is first
    assert second.seen == 0
    assert book.match("stagepro", "createJob", "k") is second


def test_a_keyed_rule_matches_only_its_key():
    book = _book()
    book.add("flt_1", {"api": "stagepro", "action": "error", "api_key": "a", "times": None})
    assert book.match("stagepro", "listJobs", "b") is None
    assert book.match("stagepro", "listJobs", None) is None
    assert book.match("stagepro", "listJobs", "a") is not None


def test_probability_draws_depend_only_on_the_seed_and_the_rule():
    def draws(seed: int, other_rules: int) -> list[bool]:
        book = _book(seed)
        for i in range(other_rules):  # rules for other keys never change this rule's draws
            book.add(f"flt_other{i}", {"api": "stagepro", "action": "error", "api_key": "x",
                                       "times": None, "probability": 0.5})
            book.match("stagepro", "listJobs", "x")
        book.add("flt_p", {"api": "stagepro", "action": "error", "times": None,
                           "probability": 0.3})
        return [book.match("stagepro", "listJobs", "k") is not None for _ in range(50)]

    assert draws(0, 0) == draws(0, 3)
    assert draws(0, 0) != draws(1, 0)
    assert 3 < sum(draws(0, 0)) < 30


def test_armed_only_while_a_rule_or_the_rate_limit_is_set():
    book = _book()
    assert not book.armed
    rule = book.add("flt_1", {"api": "stagepro", "action": "error"})
    assert book.armed
    book.remove(rule.id)
    assert not book.armed
    assert FaultBook({}, 0, RateLimit.parse("5/s")).armed


def test_a_reorder_holds_two_by_default():
    assert _book().add("flt_1", {"api": "webhooks", "action": "reorder"}).times == 2


@pytest.mark.parametrize("text,body", [
    ("stagepro:createJob:lose_response",
     {"api": "stagepro", "operation": "createJob", "action": "lose_response"}),
    ("stagepro:error,status=429,retry_after=2,times=null",
     {"api": "stagepro", "action": "error", "status": 429, "retry_after": 2, "times": None}),
    ("webhooks:job.completed:delay,delay_seconds=30.5",
     {"api": "webhooks", "operation": "job.completed", "action": "delay",
      "delay_seconds": 30.5}),
    ("stagerai:error, probability=0.25, api_key=stager_test_a",
     {"api": "stagerai", "action": "error", "probability": 0.25, "api_key": "stager_test_a"}),
])
def test_the_compact_form(text, body):
    assert parse_spec(text) == body


@pytest.mark.parametrize("text,says", [
    ("stagepro", "API[:OPERATION]:ACTION"),
    ("a:b:c:d", "API[:OPERATION]:ACTION"),
    ("stagepro:error,status", "is not key=value"),
    ("stagepro:error,tims=3", "unknown key 'tims'"),
])
def test_a_bad_compact_form_says_why(text, says):
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        parse_spec(text)


def test_a_compact_value_of_the_wrong_type_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as err:
        RuleSchema.load(OPENAPI / "admin.yaml").check(parse_spec("stagepro:error,times=many"))
    assert err.value.field == "times"


def test_the_rate_limit_bucket():
    limit = RateLimit.parse("2/s")
    assert [limit.take("k", 0.0) for _ in range(3)] == [None, None, 1]
    assert limit.take("k", 0.5) is None  # half a second refills one token
    assert limit.take("k", 0.5) == 1
    assert RateLimit.parse("30/min").take("k", 0.0) is None
    per_minute = RateLimit.parse("1/min")
    assert per_minute.take("k", 0.0) is None and per_minute.take("k", 0.0) == 60
    with pytest.raises(ValueError, match="N/s or N/min"):
        RateLimit.parse("0/s")


def test_the_rate_limit_refills_with_whichever_clock_moved_further():
    """The wall refills a bucket whose mock clock stands still (``Retry-After`` is wall
    seconds), and an advanced mock clock refills it while the wall has barely moved."""
    limit = RateLimit.parse("1/s")
    assert limit.take("k", 100.0, wall=5.0) is None
    assert limit.take("k", 100.0, wall=5.1) == 1
    assert limit.take("k", 100.0, wall=6.1) is None  # the wall moved a second
    assert limit.take("k", 100.0, wall=6.2) == 1
    assert limit.take("k", 101.0, wall=6.2) is None  # the mock's clock moved a second


# resilience, from crafted journal entries ----------------------------------------------------

def _e(seq, status, *, wall=0.0, fault=None, action=None, path="/api/v1/jobs", method="POST",
       **extra):
    return {"seq": seq, "api_key": "k", "method": method, "path": path,
            "operation_id": "createJob", "status": status, "wall_time": wall,
            "duration_ms": 1.0, "fault": fault, "fault_action": action, **extra}


def test_a_retry_with_the_same_idempotency_key_is_no_finding():
    entries = [_e(1, 502, fault="flt_1", action="lose_response", created="job_a",
                  idempotency_key="k1"),
               _e(2, 202, created="job_a", idempotency_key="k1")]
    assert findings(entries) == []


def test_a_retry_without_a_key_after_a_lost_answer_names_both_objects():
    entries = [_e(1, 502, fault="flt_1", action="lose_response", created="job_a"),
               _e(2, 202, created="job_b")]
    [f] = findings(entries)
    assert f.kind == "duplicate" and "job_a" in f.message and "job_b" in f.message


def test_retry_after_is_measured_from_the_end_of_the_answer():
    early = [_e(1, 429, wall=10.0, fault="flt_1", action="error", retry_after=2),
             _e(2, 200, wall=11.0)]
    late = [_e(1, 429, wall=10.0, fault="flt_1", action="error", retry_after=2),
            _e(2, 200, wall=12.01)]
    assert [f.kind for f in findings(early)] == ["early_retry"]
    assert findings(late) == []


def test_more_than_n_failing_retries_in_a_row_is_one_finding():
    storm = [_e(i, 503, wall=i * 10.0, fault="flt_1", action="error", retry_after=1)
             for i in range(1, 9)] + [_e(9, 202, wall=90.0)]
    found = findings(storm, max_retries=5)
    assert [f.kind for f in found] == ["retry_storm"]
    assert findings(storm[:5] + storm[-1:], max_retries=5) == []  # 5 retries: fine


def test_a_503_never_sent_again_is_named_and_other_requests_do_not_count():
    entries = [_e(1, 503, fault="flt_1", action="error", retry_after=1),
               _e(2, 200, method="GET", path="/api/v1/usage")]
    assert [f.kind for f in findings(entries)] == ["never_retried"]


def test_the_control_planes_rule_schema_names_every_operation_of_the_specs():
    """``FaultInput``'s branches (one per ``api``) list exactly the operations the server
    learns from the specs: a new endpoint or event is named here until admin.yaml has it."""
    import yaml

    from mock_server.app import create_app
    from mock_server.settings import Settings
    from tests.conftest import OPENAPI

    schema = yaml.safe_load((OPENAPI / "admin.yaml").read_text())["components"]["schemas"][
        "FaultInput"]
    listed = {b["properties"]["api"]["const"]: set(b["properties"]["operation"]["enum"]) - {None}
              for b in schema["oneOf"]}
    learnt = create_app(Settings(deterministic=True, image_workers=0)).state.ctx.faults.operations
    assert listed == learnt
