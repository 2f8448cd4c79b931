"""``stagemock drift FILE``: a recording of a real service replayed against a fresh
in-process mock (deterministic, ``--seed``, keys of its own: ``replay_keys``): where the mock
answers differently is its fidelity, measured on the user's own traffic.

- Every API the recording holds is replayed (``--api`` keeps one); none replayable → exit 2.
- The report ends with the spec edits the differences call for, each proven on a copy of the
  spec (``drift_edits``): printed only when it makes the recorded answer valid.
- The fresh mock is gone when drift ends, so the report prints how to recreate it: a
  ``stagemock serve --deterministic --seed N --port P`` line, and the ``stagemock replay``
  line that brings it to the same state; each difference's ``curl`` then runs as printed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from ..jsontypes import Json
from ..media import media_type_of
from .drift_edits import Answer, proven
from .replay import Outcome, Replayer, report
from .replay_parts import _json
from .shapes import Difference

#: The keys the fresh mock is driven with (each key is its own account; further recorded
#: keys get keys derived from these, fixture keys stay themselves).
KEYS = {"stagepro": "sk_test_drift", "stagerai": "stager_test_drift"}


def measure(path: str, api: str | None = None, seed: int = 0,
            timeout: float = 30.0) -> tuple[Outcome, Replayer, str]:
    """Replay ``path`` against a fresh mock; (the outcome, the replayer, the mock's origin)."""
    from ..settings import Settings
    from ..testing import RunningServer

    with RunningServer(Settings(deterministic=True, seed=seed, image_workers=1)) as server:
        replayer = Replayer(path, server.url, None, timeout, api, keys=list(KEYS.values()),
                            secret=False)
        return replayer.run(), replayer, server.url


def reproduce(path: str, origin: str, seed: int, replayer: Replayer) -> list[str]:
    """The commands that recreate the drift's mock, in the state its curls expect."""
    port = origin.rsplit(":", 1)[1]
    keys = " ".join(f"--api-key {KEYS[a]}" for a in replayer.views)
    only = f" --api {next(iter(replayer.views))}" if len(replayer.views) == 1 else ""
    return [f"stagemock serve --deterministic --seed {seed} --port {port}",
            f"stagemock replay {shlex.quote(path)} --base-url {origin} {keys}{only}"]


def edit(d: Difference, api: str) -> str:
    """The spec edit one difference calls for (the recording is the real service; the
    answer is the mock's)."""
    spec = f"openapi/{api}.yaml"
    op = d.operation_id or "the operation"
    field = d.where.removeprefix("body.")
    if d.kind == "status":
        where = d.pointer or f"{op}'s responses"
        if d.rule == "guess" and str(d.expected)[:1] == str(d.got)[:1]:
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
                f"{d.got} ({op}): allow {d.expected} in its type")
    if d.kind == "enum":
        return (f"{spec}: the real service says {d.expected!r} for `{field}` ({op}) where the "
                f"mock says {d.got!r}: add {d.expected!r} to its enum, and make the mock answer "
                "it in the same case")
    return f"{op}: the mock gave no answer where the real service did ({d.got})"


def edits(outcome: Outcome, replayer: Replayer) -> tuple[list[str], list[str]]:
    """(the spec edits proven to make the recorded answers valid, the differences the spec
    already allows, each with why no spec edit is printed for it)."""
    exchanges = {(ex["api"], ex.get("seq")): ex for ex in replayer.exchanges}
    printed: list[str] = []
    allowed: list[str] = []
    for d in outcome.differences:
        api = str(d.extra.get("api") or "")
        ex = exchanges.get((api, d.seq))
        text = edit(d, api)
        if ex is None or ex.get("response") is None or api not in replayer.views \
                or d.kind == "no_answer":
            continue
        media = media_type_of(ex["response"].get("headers") or [], "application/json")
        answer = Answer(d.operation_id or "", int(ex["response"]["status"]), media,
                        _json(replayer.path, ex["response"]))
        ok, why = proven(d, answer, replayer.views[api].document, text)
        if ok:
            printed.append(text)
        else:
            allowed.append(f"#{d.seq} {d.request}: `{d.where}`: no spec edit ({why}); "
                           "the mock answers otherwise")
    return list(dict.fromkeys(printed)), allowed


def main(args: argparse.Namespace) -> int:
    seed = getattr(args, "seed", 0)
    try:
        outcome, replayer, origin = measure(args.file, getattr(args, "api", None), seed,
                                            getattr(args, "timeout", 30.0))
    except (OSError, ValueError) as exc:
        print(f"stagemock drift: {exc}")
        return 2
    printed, allowed = edits(outcome, replayer)
    lines = reproduce(args.file, origin, seed, replayer) if outcome.differences else []
    if args.json:
        out: dict[str, Json] = {**outcome.as_json(), "edits": list(printed),
                                "no_edit": list(allowed), "reproduce": list(lines)}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        text = report(outcome, f"drift: the mock against {args.file}")
        text = text.replace("the recording has", "the real service has").replace(
            "the server answered", "the mock answered")
        print(text)
        if lines:
            print("the curls above run against the drift's mock, recreated by:")
            print("\n".join(f"  {line}" for line in lines))
        if printed:
            print("spec edits the differences call for (each makes the recorded answer "
                  "valid):")
            print("\n".join(f"  - {e}" for e in printed))
        if allowed:
            print("differences the spec already allows (the mock, not the spec, differs):")
            print("\n".join(f"  - {e}" for e in allowed))
        if outcome.replayed and not outcome.differences:
            print("the mock answers this traffic the way the recording does")
    if outcome.replayed == 0:
        print(f"stagemock drift: no exchange of {args.file} was replayed, so nothing was "
              "compared (the reasons are under skipped): not a pass", file=sys.stderr)
        return 2
    return 1 if outcome.documented else 0
