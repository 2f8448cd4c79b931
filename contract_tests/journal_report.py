"""``stagemock journal-report``: what a client's test run exercised (operations, response
codes, webhook events), against everything the specs offer. Reads ``/__mock/journal``."""

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
    bad = [e for e in entries if not e.get("conformant", True)]
    lines.append(f"requests: {len(entries)}, violating the spec: {len(bad)}")
    for e in bad[:20]:
        why = "; ".join(v.get("message", "") for v in e.get("violations", []))
        lines.append(
            f"  {e['method']} {e['path']} ({e.get('operation_id') or 'no operation'}): {why}"
        )
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
    print(build(r.json()["entries"], deliveries))
    return 0
