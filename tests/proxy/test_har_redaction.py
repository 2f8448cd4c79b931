"""Redacted keys stay distinct and typeable: a key becomes its prefix and a fingerprint of
the whole key (``sk_test_.0a931f``), never the key, never a Unicode ellipsis, the same in
every recording (JSON Lines or HAR), and never masked twice."""

from __future__ import annotations

import hashlib
import re
import shlex

from mock_server.proxy import redact

TYPEABLE = re.compile(r"^[A-Za-z0-9_.]+$")


def test_two_short_keys_stay_distinct_and_the_form_is_plain_ascii():
    one, two = redact.mask_key("sk_test_one"), redact.mask_key("sk_test_two")
    assert one != two
    assert one == "sk_test_." + hashlib.sha256(b"sk_test_one").hexdigest()[:6]
    for key in ("sk_test_one", "sk_live_mock_no_credits", "stager_test_abc",
                "stager_live_0123456789abcdef", "sk_test_" + "x" * 60):
        masked = redact.mask_key(key)
        assert TYPEABLE.match(masked) and masked.isascii(), masked
        assert shlex.quote(masked) == masked  # pasted on a command line as is
        assert key not in masked and masked.startswith(key[: key.index("_", 3) + 1])
        assert len(masked) <= len(key.split("_")[0]) + 15


def test_the_fingerprint_is_stable_and_covers_the_whole_key():
    # keys differing only in their first characters (the old form kept the last four)
    a, b = "sk_test_aaaa_same_tail_1234", "sk_test_bbbb_same_tail_1234"
    assert redact.mask_key(a) != redact.mask_key(b)
    assert redact.mask_key(a) == redact.mask_key(a)
    assert redact.text(f"Bearer {a}") == "Bearer " + redact.mask_key(a)
    assert redact.header("Authorization", f"Bearer {a}") == "Bearer " + redact.mask_key(a)
    assert redact.header("stager-api-key", "stager_test_k") == redact.mask_key("stager_test_k")


def test_masking_is_idempotent_and_other_secrets_stay_redacted():
    once = redact.text("key sk_test_one, url ...&X-Goog-Signature=abcdef0123 whsec_abcdef")
    assert redact.text(once) == once
    assert "sk_test_." in once and "whsec_<redacted>" in once
    assert "X-Goog-Signature=<redacted>" in once
    assert redact.json_value({"api_key": "anything", "note": "sk_live_two"}) == {
        "api_key": "<redacted>", "note": redact.mask_key("sk_live_two")}
