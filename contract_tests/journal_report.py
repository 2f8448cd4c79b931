"""``stagemock journal-report``: what a client's test run exercised (operations, response
codes, webhook events), against everything the specs offer, and which requests violated the
spec — documented rules apart from guesses of the mock (``x-stagemock-guess``). Reads
``/__mock/journal``. Exits 1 when the client sent a request that violates a documented rule
(``--fail-on violations``, the default), or any rule, guesses included (``--fail-on guesses``);
``--fail-on never`` always exits 0, so a client in any language can gate its CI on it."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
import yaml

from .target import SPECS

METHODS = ("get", "post", "put", "patch", "delete")


def offered(api: str) -> dict[str, set[str]]:
    doc = yaml.safe_load(SPECS[api].read_text())
    out: dict[str, set[str]] = {}
    for item in doc["paths"].values():
        for method in METHODS:
            if method in item:
                op = item[method]
                out[op["operationId"]] = {str(c) for c in op.get("responses", {})}
    return out


def offered_events() -> list[str]:
    doc = yaml.safe_load(SPECS["stagepro"].read_text())
    return sorted(k for k in doc.get("webhooks", {}) if k != "webhook.verification")


def _only_guesses(entry: dict[str, Any]) -> bool:
    violations = entry.get("violations") or []
    return bool(violations) and all(v.get("guess") for v in violations)


def classify(entries: list[dict[str, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    """(violations of documented rules, requests that broke only guesses — refused, or let
    through by ``--lenient`` with a warning —, other warnings)."""
    bad, guessed, notes = [], [], []
    for e in entries:
        if not e.get("conformant", True):
            (guessed if _only_guesses(e) else bad).append(e)
        elif any(w.get("guess") for w in e.get("warnings") or []):
            guessed.append(e)
        if any(not w.get("guess") for w in e.get("warnings") or []):
            notes.append(e)
    return bad, guessed, notes


def _line(e: dict[str, Any], items: list[dict[str, Any]]) -> str:
    why = "; ".join(
        (f"`{v['field']}` " if v.get("field") else "") + v.get("message", "") for v in items
    )
    op = e.get("operation_id") or "no operation"
    return f"  {e['method']} {e['path']} ({op}) → {e.get('status')}: {why}"


def build(entries: list[dict[str, Any]], deliveries: list[dict[str, Any]]) -> str:
    lines = []
    for api in ("stagepro", "stagerai"):
        ops = offered(api)
        seen: dict[str, Counter[str]] = {}
        for e in entries:
            if e.get("api") == api and e.get("operation_id"):
                seen.setdefault(e["operation_id"], Counter())[str(e.get("status"))] += 1
        covered = [op for op in ops if op in seen]
        lines.append(f"{api}: {len(covered)}/{len(ops)} operations exercised")
        for op, codes in ops.items():
            got = seen.get(op, Counter())
            mark = "x" if got else " "
            documented = sorted(codes)
            hit = sorted(c for c in got if c in codes)
            extra = sorted(c for c in got if c not in codes)
            text = f"  [{mark}] {op:24} codes {', '.join(hit) or '-'} of {', '.join(documented)}"
            if extra:
                text += f"  UNDOCUMENTED: {', '.join(extra)}"
            lines.append(text)
    bad, guessed, notes = classify(entries)
    lines.append(f"requests: {len(entries)}, violating the spec: {len(bad)}")
    for e in bad[:20]:
        lines.append(_line(e, e.get("violations", [])))
    lines.append(
        f"requests breaking only guesses of the mock (rules the vendor's reference does not "
        f"state, x-stagemock-guess; the real API may accept them): {len(guessed)}"
    )
    for e in guessed[:20]:
        items = e.get("violations") or [w for w in e.get("warnings", []) if w.get("guess")]
        lines.append(_line(e, items))
    if notes:
        lines.append(f"other warnings: {len(notes)}")
        for e in notes[:20]:
            lines.append(_line(e, [w for w in e.get("warnings", []) if not w.get("guess")]))
    events = offered_events()
    got_events = Counter(d.get("type") or d.get("event_type") for d in deliveries)
    lines.append(f"webhook events delivered: {sum(got_events.values())}")
    for ev in events:
        lines.append(f"  [{'x' if got_events.get(ev) else ' '}] {ev} ×{got_events.get(ev, 0)}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="stagemock journal-report")
    p.add_argument("--base-url", default="http://127.0.0.1:8000", help="the mock's root URL")
    p.add_argument("--api-key", help="only this key's requests")
    p.add_argument(
        "--fail-on", choices=["violations", "guesses", "never"], default="violations",
        help="exit 1 when a request violated a documented rule (violations, the default), any "
        "rule including the mock's guesses (guesses), or never",
    )
    args = p.parse_args(list(argv))
    root = args.base_url.rstrip("/")
    params = {"api_key": args.api_key} if args.api_key else {}
    r = httpx.get(f"{root}/__mock/journal", params=params, timeout=30)
    if r.status_code != 200:
        print(f"no stagemock journal at {root}/__mock/journal ({r.status_code})")
        return 2
    deliveries: list[dict[str, Any]] = []
    d = httpx.get(f"{root}/__mock/webhooks/deliveries", params=params, timeout=30)
    if d.status_code == 200:
        body = d.json()
        deliveries = (
            body.get("data", body.get("deliveries", [])) if isinstance(body, dict) else body
        )
    entries = r.json()["entries"]
    print(build(entries, deliveries))
    bad, guessed, _notes = classify(entries)
    if args.fail_on == "violations" and bad:
        return 1
    if args.fail_on == "guesses" and (bad or guessed):
        return 1
    return 0
