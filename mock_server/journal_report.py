"""``stagemock journal-report``: what a client's test run exercised (operations, response
codes, webhook events), against everything the specs offer. Reads ``/__mock/journal``.

Part of the base install (no contract extra): the pytest plugin builds the same report from
the entries it collects before each test's reset (``--stagemock-report``)."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from functools import cache

import httpx

from .faults import resilience
from .jsontypes import JsonObject
from .resources import spec_path
from .spec.loader import read_document, response_key

METHODS = ("get", "post", "put", "patch", "delete")

#: What ``--fail-on`` (and the plugin's ``--stagemock-fail-on``) may gate on.
FAIL_ON = ("violations", "guesses", "resilience", "never")


@cache
def _spec(api: str) -> JsonObject:
    return read_document(spec_path(api))


def offered(api: str) -> dict[str, set[str]]:
    doc = _spec(api)
    out: dict[str, set[str]] = {}
    for item in doc["paths"].values():
        for method in METHODS:
            if method in item:
                op = item[method]
                out[op["operationId"]] = {str(c) for c in op.get("responses", {})}
    return out


def offered_events() -> list[str]:
    doc = _spec("stagepro")
    return sorted(k for k in doc.get("webhooks", {}) if k != "webhook.verification")


def _only_guesses(entry: JsonObject) -> bool:
    violations = entry.get("violations") or []
    return bool(violations) and all(v.get("guess") for v in violations)


def classify(
    entries: list[JsonObject],
) -> tuple[list[JsonObject], list[JsonObject], list[JsonObject]]:
    """(violations of documented rules, requests that broke only guesses — refused, or let
    through by ``--lenient`` with a warning —, other warnings)."""
    bad: list[JsonObject] = []
    guessed: list[JsonObject] = []
    notes: list[JsonObject] = []
    for e in entries:
        if not e.get("conformant", True):
            (guessed if _only_guesses(e) else bad).append(e)
        elif any(w.get("guess") for w in e.get("warnings") or []):
            guessed.append(e)
        if any(not w.get("guess") for w in e.get("warnings") or []):
            notes.append(e)
    return bad, guessed, notes


def _request(e: JsonObject, items: list[JsonObject]) -> JsonObject:
    return {
        "seq": e.get("seq"),
        "method": e.get("method"),
        "path": e.get("path"),
        "operation_id": e.get("operation_id"),
        "status": e.get("status"),
        "items": items,
    }


def summarize(entries: list[JsonObject], deliveries: list[JsonObject],
              max_retries: int = resilience.MAX_RETRIES) -> JsonObject:
    """Everything the report says, as data (``--json`` prints it whole)."""
    apis: dict[str, JsonObject] = {}
    for api in ("stagepro", "stagerai"):
        ops = offered(api)
        seen: dict[str, Counter[str]] = {}
        for e in entries:
            # an injected answer (a fault rule, the rate limit) is not the mock's own
            if e.get("api") == api and e.get("operation_id") and not e.get("fault"):
                seen.setdefault(e["operation_id"], Counter())[str(e.get("status"))] += 1
        operations = {}
        for op, codes in ops.items():
            got = seen.get(op, Counter())
            operations[op] = {
                "documented": sorted(codes),
                "exercised": dict(sorted(got.items())),
                # a status the spec declares by its range (``5XX``) is documented too
                "undocumented": sorted(c for c in got
                                       if response_key(dict.fromkeys(codes), c) is None),
            }
        apis[api] = {
            "exercised": sum(1 for op in ops if op in seen),
            "operations_total": len(ops),
            "operations": operations,
        }
    bad, guessed, notes = classify(entries)
    got_events = Counter(d.get("type") or d.get("event_type") for d in deliveries)
    return {
        "apis": apis,
        "requests": len(entries),
        "violating": [_request(e, e.get("violations") or []) for e in bad],
        "guesses_only": [
            _request(e, e.get("violations") or [w for w in e.get("warnings") or []
                                                 if w.get("guess")])
            for e in guessed
        ],
        "other_warnings": [
            _request(e, [w for w in e.get("warnings") or [] if not w.get("guess")])
            for e in notes
        ],
        "webhook_events": {ev: got_events.get(ev, 0) for ev in offered_events()},
        "faults_injected": sum(1 for e in entries if e.get("fault")),
        "resilience": [f.as_json() for f in resilience.findings(entries, max_retries)],
        "webhook_faults": resilience.webhook_faults(deliveries),
    }


def answered(entry: JsonObject) -> str:
    """The status a request got, in words: the journal's ``null`` is a dropped connection."""
    status = entry.get("status")
    return "no answer (connection dropped)" if status is None else str(status)


def _lines(requests: list[JsonObject], limit: int) -> list[str]:
    shown = requests if limit <= 0 else requests[:limit]
    out = []
    for e in shown:
        why = "; ".join(
            (f"`{v['field']}` " if v.get("field") else "") + v.get("message", "")
            for v in e["items"]
        )
        op = e.get("operation_id") or "no operation"
        out.append(f"  {e['method']} {e['path']} ({op}) → {answered(e)}: {why}")
    if len(shown) < len(requests):
        out.append(f"  … {len(requests) - len(shown)} more (--limit N, --json)")
    return out


def build(
    entries: list[JsonObject], deliveries: list[JsonObject], limit: int = 20,
    max_retries: int = resilience.MAX_RETRIES,
) -> str:
    """The report as text; at most ``limit`` requests are listed per section (0: all)."""
    data = summarize(entries, deliveries, max_retries)
    lines = []
    for api, info in data["apis"].items():
        lines.append(f"{api}: {info['exercised']}/{info['operations_total']} operations exercised")
        for op, o in info["operations"].items():
            got = o["exercised"]
            mark = "x" if got else " "
            hit = sorted(c for c in got if c in o["documented"])
            text = (
                f"  [{mark}] {op:24} codes {', '.join(hit) or '-'} of "
                f"{', '.join(o['documented'])}"
            )
            if o["undocumented"]:
                text += f"  UNDOCUMENTED: {', '.join(o['undocumented'])}"
            lines.append(text)
    bad = data["violating"]
    lines.append(f"requests: {data['requests']}, violating the spec: {len(bad)}")
    lines += _lines(bad, limit)
    guessed = data["guesses_only"]
    lines.append(
        "requests breaking only guesses of the mock (rules the vendor's reference does not "
        f"state, x-stagemock-guess; the real API may accept them): {len(guessed)}"
    )
    lines += _lines(guessed, limit)
    if data["other_warnings"]:
        lines.append(f"other warnings: {len(data['other_warnings'])}")
        lines += _lines(data["other_warnings"], limit)
    events = data["webhook_events"]
    lines.append(f"webhook events delivered: {sum(events.values())}")
    for ev, n in events.items():
        lines.append(f"  [{'x' if n else ' '}] {ev} ×{n}")
    if data["faults_injected"]:
        found = data["resilience"]
        lines.append(
            f"client resilience: {data['faults_injected']} injected answers, "
            f"{len(found)} finding{'s' if len(found) != 1 else ''}"
        )
        shown = found if limit <= 0 else found[:limit]
        lines += [f"  [{f['kind']}] {f['message']}" for f in shown]
        if len(shown) < len(found):
            lines.append(f"  … {len(found) - len(shown)} more (--limit N, --json)")
    lines += _webhook_fault_lines(data["webhook_faults"])
    return "\n".join(lines)


def _webhook_fault_lines(found: JsonObject) -> list[str]:
    duplicated, reordered = found["duplicated"], found["reordered"]
    if not duplicated and not reordered:
        return []
    return [
        f"webhook faults: {len(duplicated)} event{'s' if len(duplicated) != 1 else ''} "
        f"delivered twice, {len(reordered)} delivered out of order (newest first)",
        *([f"  duplicated: {', '.join(duplicated)}"] if duplicated else []),
        *([f"  reordered: {', '.join(reordered)}"] if reordered else []),
        f"  {found['note']}",
    ]


def _guess_reasons(guessed: list[JsonObject]) -> list[str]:
    """What each guess broken says, once each, in the order first met: the gate's words (a
    client relying on the ``Idempotency-Key`` header alone reads why, not only a count)."""
    seen: dict[str, None] = {}
    for e in guessed:
        items = e.get("violations") or [w for w in e.get("warnings") or [] if w.get("guess")]
        for item in items:
            if item.get("guess"):
                field = item.get("field")
                text = str(item.get("message", ""))
                named = f"`{field}` " if isinstance(field, str) and f"`{field}`" not in text else ""
                seen.setdefault(f"{named}{text}", None)
    return list(seen)


def breaks(entries: list[JsonObject], fail_on: str,
           max_retries: int = resilience.MAX_RETRIES) -> list[str]:
    """Why ``entries`` fail the gate ``fail_on`` (one of ``FAIL_ON``), in words; empty: they
    pass. ``violations``: a request broke a documented rule; ``guesses``: any rule, the mock's
    guesses too; ``resilience``: a documented rule, or the client mishandled an injected
    fault; ``never``: nothing fails."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if fail_on == "never":
        return []
    bad, guessed, _notes = classify(entries)
    why = []
    if bad:
        why.append(f"{len(bad)} request{'s' if len(bad) != 1 else ''} violated a documented "
                   "rule of the spec")
    if fail_on == "guesses" and guessed:
        reasons = _guess_reasons(guessed)
        shown = "; ".join(reasons[:3]) + (f"; … {len(reasons) - 3} more" if len(reasons) > 3
                                          else "")
        why.append(f"{len(guessed)} request{'s' if len(guessed) != 1 else ''} broke only "
                   f"guesses of the mock (x-stagemock-guess): {shown}")
    if fail_on == "resilience":
        found = resilience.findings(entries, max_retries)
        if found:
            why.append(f"{len(found)} resilience finding{'s' if len(found) != 1 else ''} (the "
                       "client mishandled an injected fault)")
    return why


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="stagemock journal-report")
    p.add_argument("--base-url", default="http://127.0.0.1:8000", help="the mock's root URL")
    p.add_argument("--api-key", help="only this key's requests")
    p.add_argument(
        "--limit", type=int, default=20, metavar="N",
        help="list at most N requests per section (default 20; 0: all)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the whole report as JSON (every request)"
    )
    p.add_argument(
        "--fail-on", choices=FAIL_ON,
        default="violations",
        help="exit 1 when a request violated a documented rule (violations, the default), any "
        "rule including the mock's guesses (guesses), a documented rule or the client "
        "mishandled an injected fault (resilience), or never",
    )
    p.add_argument(
        "--max-retries", type=int, default=resilience.MAX_RETRIES, metavar="N",
        help="more retries in a row than N, each failing, is a resilience finding "
        f"(default {resilience.MAX_RETRIES})",
    )
    args = p.parse_args(list(argv))
    root = args.base_url.rstrip("/")
    params = {"api_key": args.api_key} if args.api_key else {}
    try:
        r = httpx.get(f"{root}/__mock/journal", params=params, timeout=30)
        if r.status_code != 200:
            print(f"no stagemock journal at {root}/__mock/journal ({r.status_code})")
            return 2
        deliveries: list[JsonObject] = []
        d = httpx.get(f"{root}/__mock/webhooks/deliveries", params=params, timeout=30)
    except httpx.HTTPError as exc:
        print(
            f"nothing answers at {root} ({type(exc).__name__}: {exc}); start the mock "
            "(stagemock serve) or pass --base-url"
        )
        return 2
    if d.status_code == 200:
        body = d.json()
        found = body.get("data", body.get("deliveries", [])) if isinstance(body, dict) else body
        deliveries = found if isinstance(found, list) else []
    entries = r.json()["entries"]
    if args.json:
        print(json.dumps(summarize(entries, deliveries, args.max_retries), indent=2,
                         ensure_ascii=False))
    else:
        print(build(entries, deliveries, args.limit, args.max_retries))
    return 1 if breaks(entries, args.fail_on, args.max_retries) else 0
