"""``stagemock drift FILE``: a recording of a real service replayed against a fresh
in-process mock (deterministic, its own test key): where the mock answers differently is its
fidelity, measured on the user's own traffic. The report ends with the spec edits the
differences call for."""

from __future__ import annotations

import argparse
import json

from .replay import Outcome, Replayer, report
from .shapes import Difference

#: The key the fresh mock is driven with (each key is its own account).
KEYS = {"stagepro": "sk_test_drift", "stagerai": "stager_test_drift"}
BASE_PATHS = {"stagepro": "/api/v1", "stagerai": ""}


def measure(path: str) -> tuple[Outcome, str]:
    """Replay ``path`` against a fresh mock; (the outcome, the API)."""
    from ..settings import Settings
    from ..testing import RunningServer

    probe = Replayer(path, "http://127.0.0.1:9", "x")
    api = probe.api
    probe.client.close()
    with RunningServer(Settings(deterministic=True, image_workers=1)) as server:
        replayer = Replayer(path, server.url + BASE_PATHS[api], KEYS[api])
        return replayer.run(), api


def edit(d: Difference, api: str) -> str:
    """The spec edit one difference calls for (the recording is the real service; the
    answer is the mock's)."""
    spec = f"openapi/{api}.yaml"
    op = d.operation_id or "the operation"
    field = d.where.removeprefix("body.")
    if d.kind == "status":
        where = d.pointer or f"{op}'s responses"
        if d.rule == "guess":
            return (f"{spec}: {op} answers {d.expected} on the real service, {d.got} on the "
                    f"mock, whose status there is a guess ({where}: {d.guess}): make it "
                    f"{d.expected}")
        return (f"{spec}: {op} answers {d.expected} on the real service where the spec says "
                f"{d.got}: document {d.expected} (and what the mock does there)")
    if d.kind == "error_code":
        return (f"{spec}: the real service says error code {d.expected!r} where the mock says "
                f"{d.got!r} ({op}): change the code (mock_server/{api}/exceptions.py and the "
                "spec's error table)")
    if d.kind == "missing":
        return (f"{spec}: the real service sends `{field}` ({d.expected}) in {op}'s answer: "
                "add it to the response schema, and to what the mock answers")
    if d.kind == "extra":
        advice = ("drop it or keep it marked x-stagemock-guess" if d.rule == "guess"
                  else "mark it x-stagemock-guess, or drop it")
        return (f"{spec}: the real service does not send `{field}` in {op}'s answer: "
                f"{advice}")
    if d.kind == "type":
        return (f"{spec}: the real service sends `{field}` as {d.expected}, the mock as "
                f"{d.got} ({op}): change its type")
    if d.kind == "enum":
        return (f"{spec}: the real service says {d.expected!r} for `{field}` ({op}) where the "
                f"mock says {d.got!r}: add {d.expected!r} to its enum, and make the mock answer "
                "it in the same case")
    return f"{op}: the mock gave no answer where the real service did ({d.got})"


def main(args: argparse.Namespace) -> int:
    try:
        outcome, api = measure(args.file)
    except (OSError, ValueError) as exc:
        print(f"stagemock drift: {exc}")
        return 2
    edits = list(dict.fromkeys(edit(d, api) for d in outcome.differences))
    if args.json:
        print(json.dumps({**outcome.as_json(), "edits": edits}, indent=2, ensure_ascii=False))
    else:
        text = report(outcome, f"drift: the mock against {args.file}")
        text = text.replace("the recording has", "the real service has").replace(
            "the server answered", "the mock answered")
        print(text)
        if edits:
            print("spec edits the differences call for:")
            print("\n".join(f"  - {e}" for e in edits))
        else:
            print("the mock answers this traffic the way the recording does")
    return 1 if outcome.documented else 0
