"""``docs/FIDELITY.md``, generated from the specs: per API, every operation with its statuses,
every documented request rule and every guess (``x-stagemock-guess``) with its reason.

    python -m mock_server.spec.fidelity            # print it
    python -m mock_server.spec.fidelity --write    # write docs/FIDELITY.md (a checkout)

``tests/spec/test_fidelity.py`` fails when the committed file is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from ..jsontypes import Json, JsonObject
from .fidelity_ledger import ledger_section
from .guesses import GUESS, all_guesses, guess_at
from .loader import HTTP_METHODS, resolve
from .schema_walk import case_choices, names_only

APIS = (
    ("stagepro", "StagePro v1",
     "StagePro's API Reference (`shared/seeds/000_*` beside the checkout)"),
    ("stagerai", "Stager AI v1",
     "Stager AI's Developer Reference (`shared/seeds/001_*` beside the checkout)"),
)
#: Schema keywords that constrain a value (what a request can break).
RULES = (
    "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "format", "minItems", "maxItems", "uniqueItems",
    "minProperties", "maxProperties", "required", "additionalProperties", "oneOf",
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "FIDELITY.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rule(keyword: str, value: Json) -> str:
    if keyword == "enum" and isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:6]) + (", …" if len(value) > 6 else "")
        return f"enum ({len(value)}: {shown})"
    if keyword == "required" and isinstance(value, list):
        return "required: " + ", ".join(map(str, value))
    if keyword == "additionalProperties":
        return "no unknown fields (additionalProperties: false)"
    if keyword in ("oneOf", "anyOf"):
        names = [" + ".join(b.get("required", [])) for b in value if isinstance(b, dict)]
        said = "exactly one of: " if keyword == "oneOf" else "at least one of: "
        return said + ", ".join(n for n in names if n) if all(names) else keyword
    return f"{keyword} {value}"


def _summary(node: Json, pointer: str = "") -> str:
    """What a marked node states, in a few words."""
    if not isinstance(node, dict):
        return ""
    if "in" in node and "schema" in node:  # a parameter
        schema = node["schema"]
        shape = (f"`{str(schema['$ref']).rsplit('/', 1)[-1]}`" if "$ref" in schema
                 else _summary(schema))
        return f"{node['in']} parameter `{node['name']}`: " + shape
    if "content" in node and "required" in node:  # a request body
        return "accepted media types: " + ", ".join(node["content"])
    rules = [_rule(k, node[k]) for k in RULES if k in node and k != "oneOf"
             and not (k == "additionalProperties" and node[k] is not False)]
    if rules:
        return "; ".join(rules)
    if "/responses/" in pointer:
        return "this status"
    if "properties" in node:
        return "object shape: " + ", ".join(list(node["properties"])[:6])
    scalars = {k: v for k, v in node.items() if not str(k).startswith("x-")}
    if scalars and all(isinstance(v, (str, int, float, bool)) for v in scalars.values()):
        return "; ".join(f"{k} {v}" for k, v in scalars.items())  # e.g. x-stagemock-timing
    return "as written"


def _at(document: JsonObject, pointer: str) -> Json:
    node: Json = document
    for part in (pointer.strip("/").split("/") if pointer != "/" else []):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _operations(document: JsonObject) -> list[tuple[str, str, str, JsonObject]]:
    out = []
    for path, item in document.get("paths", {}).items():
        item = resolve(document, item)
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                out.append((op["operationId"], method.upper(), path, op))
    return out


def _walk_rules(
    document: JsonObject, node: Json, pointer: list[str], seen: set[str],
    out: dict[str, tuple[str, str | None]], choice: str | None = None,
) -> None:
    """Every constraint under a request schema (following ``$ref``s once): pointer → (rule,
    guess or None). ``choice``: the guess of an enclosing ``oneOf``/``anyOf``, which covers
    the rules of its branches (as in the ledger)."""
    if isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return
        seen.add(ref)
        target = ref.lstrip("#/").split("/")
        _walk_rules(document, resolve(document, node), target, seen, out)  # its own marks
    if not isinstance(node, dict):
        return
    for keyword in RULES:
        if keyword not in node:
            continue
        if keyword == "additionalProperties" and node[keyword] is not False:
            continue
        if keyword == "format" and node[keyword] == "binary":
            continue
        where = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
        key = f"{where} {keyword}"
        why = guess_at(document, document, pointer + [keyword]) or choice
        out[key] = (_rule(keyword, node[keyword]), why)
    for key in ("properties",):
        for name, sub in node.get(key, {}).items():
            _walk_rules(document, sub, pointer + [key, name], seen, out, choice)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(node.get(key), dict):
            _walk_rules(document, node[key], pointer + [key], seen, out, choice)
    for key in ("allOf", "anyOf", "oneOf"):
        inner = (guess_at(document, document, pointer + [key]) if key != "allOf" else None)
        for i, sub in enumerate(node.get(key, [])):
            if isinstance(sub, dict) and names_only(sub):
                continue  # named by the parent's "exactly one of"
            _walk_rules(document, sub, pointer + [key, str(i)], seen, out, inner or choice)



JSON_MEDIA = ("application/json",)


def response_properties(document: JsonObject, op: JsonObject
                        ) -> list[tuple[str, str, str | None, str | None]]:
    """Every property of the JSON bodies of an operation's 2xx responses: ``(key path, json
    pointer of the property schema as written, guess covering it or None, guess written on the
    property itself or None)``, in document order; a key path appears once per schema that
    defines it (``status`` in each variant of a ``oneOf``).

    Key paths name properties as in a body: ``data[].outputs[].url``. The walk follows
    ``$ref``, ``allOf`` / ``oneOf`` / ``anyOf``, ``properties`` and array ``items`` (not
    ``if``/``then`` nor a choice by case, which restate properties, nor maps:
    ``additionalProperties``). A guess
    covers a property when it is written on the property (beside a ``$ref`` too), on the object
    schema it refers to, or on any enclosing schema from the response's schema down. Not
    counted: a mark on a referenced value schema (``Id``'s length, ``Style``'s values), which
    is about that rule, not about the field; a mark on the response object (a guessed
    status), which is about the status."""
    out: dict[tuple[str, str], tuple[str, str, str | None, str | None]] = {}

    def walk(node: Json, pointer: str, path: str, covered: str | None, seen: frozenset[str]
             ) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get(GUESS), str):
            covered = node[GUESS]
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in seen:
                walk(resolve(document, node), ref.lstrip("#"), path, covered, seen | {ref})
        for name, sub in (node.get("properties") or {}).items():
            child = f"{path}.{name}" if path else str(name)
            ptr = f"{pointer}/properties/{name}"
            own = sub.get(GUESS) if isinstance(sub, dict) else None
            target = resolve(document, sub) if isinstance(sub, dict) and "$ref" in sub else sub
            why = own if isinstance(own, str) else covered
            if (why is None and isinstance(target, dict) and "properties" in target
                    and isinstance(target.get(GUESS), str)):
                why = target[GUESS]  # an object whose whole shape is a guess
            if (child, ptr) not in out:
                out[child, ptr] = (child, ptr, why, own if isinstance(own, str) else None)
            walk(sub, ptr, child, why, seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{pointer}/items", f"{path}[]", covered, seen)
        cases = {tuple(w) for w, _ in case_choices(document, node)}
        for key in ("allOf", "oneOf", "anyOf"):
            if () in cases and key != "allOf":
                continue  # a choice by case restates properties, as an if/then would
            for i, sub in enumerate(node.get(key) or []):
                if (key, i) not in cases:
                    walk(sub, f"{pointer}/{key}/{i}", path, covered, seen)

    for status, response in (op.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        response = resolve(document, response)
        for media, content in (response.get("content") or {}).items():
            if media in JSON_MEDIA and isinstance(content, dict) and "schema" in content:
                walk(content["schema"], f"/responses/{status}/content/{media}/schema", "",
                     None, frozenset())
    return list(out.values())


def _guessed_fields(document: JsonObject, op: JsonObject
                    ) -> dict[str, str]:
    """The guessed response fields of an operation, outermost only (a field under a guessed
    field is left out): key path → why. A key path defined by several schemas (the variants
    of a ``oneOf``) is guessed only when every one of them is."""
    found = response_properties(document, op)
    unguessed = {path for path, _pointer, why, _own in found if why is None}
    out: dict[str, str] = {}
    for path, _pointer, why, _own in found:
        if why is None or path in unguessed or path in out:
            continue
        if any(path.startswith((f"{p}.", f"{p}[]")) for p in out):
            continue
        out[path] = why
    return out


def _api_section(name: str, title: str, reference: str, document: JsonObject) -> list[str]:
    lines = [f"## {title} (`openapi/{name}.yaml`)", "", f"Reference: {reference}.", ""]
    lines += ["### Operations", "",
              "| operation | method and path | documented statuses | guessed statuses "
              "| guessed response fields |",
              "|---|---|---|---|---|"]
    guessed_fields: dict[str, tuple[list[str], list[str]]] = {}
    for op_id, method, path, op in _operations(document):
        shown = _guessed_fields(document, op)
        for field, why in shown.items():
            paths, ops = guessed_fields.setdefault(why, ([], []))
            if field not in paths:
                paths.append(field)
            if op_id not in ops:
                ops.append(op_id)
        documented: list[str] = []
        guessed: list[str] = []
        for status, response in op.get("responses", {}).items():
            marked = isinstance(response, dict) and GUESS in response
            if not marked:
                marked = GUESS in resolve(document, response)
            (guessed if marked else documented).append(str(status))
        fields = ", ".join(f"`{f}`" for f in shown) or "—"
        lines.append(f"| `{op_id}` | `{method} {path}` | {', '.join(documented) or '—'} | "
                     f"{', '.join(guessed) or '—'} | {fields} |")
    rules: dict[str, tuple[str, str | None]] = {}
    for _op_id, method, path, op in _operations(document):
        base = ["paths", path, method.lower()]
        item = document["paths"][path]
        params = [(["paths", path, "parameters", str(i)], p)
                  for i, p in enumerate(item.get("parameters", []))]
        params += [(base + ["parameters", str(i)], p)
                   for i, p in enumerate(op.get("parameters", []))]
        for ptr, param in params:
            if "$ref" in param:
                ptr = param["$ref"].lstrip("#/").split("/")
            param = resolve(document, param)
            if "schema" in param:
                _walk_rules(document, param["schema"], ptr + ["schema"], set(), rules)
        body = resolve(document, op.get("requestBody", {}))
        for media, content in body.get("content", {}).items():
            if "schema" in content:
                ptr = base + ["requestBody", "content", media, "schema"]
                _walk_rules(document, content["schema"], ptr, set(), rules)
    lines += ["", "### Guessed response fields", "",
              "Fields of the 2xx JSON bodies that the reference never shows (neither in an "
              "example response nor named in its prose), by the reason of the mark that covers "
              "them; a field stands for everything below it. `tests/spec/test_response_guesses.py` "
              "keeps this list complete.", "",
              "| response fields | operations | why |", "|---|---|---|"]
    for why, (paths, ops) in guessed_fields.items():
        lines.append(f"| {', '.join(f'`{_cell(p)}`' for p in paths)} | "
                     f"{', '.join(f'`{o}`' for o in ops)} | {_cell(why)} |")
    if not guessed_fields:
        lines.append("| — | — | every response field is shown by the reference |")
    lines += ["", "### Documented request rules", "",
              "Rules the reference states (its examples, enums, names; under `/gcs/`, Google Cloud "
              "Storage's own documentation); the mock enforces them and `stagemock check` fails a "
              "server that breaks them.", "",
              "| where | rule |", "|---|---|"]
    for key in sorted(rules):
        stated, reason = rules[key]
        if reason is None:
            lines.append(f"| `{_cell(key.rsplit(' ', 1)[0])}` | {_cell(stated)} |")
    lines += ["", "### Guesses (`x-stagemock-guess`)", "",
              "Rules the reference does not state. By default the mock enforces them and a 400 "
              "caused by one says so; `stagemock serve --lenient` lets a request that breaks only "
              "guesses through (journaled as a warning); `stagemock check` against a server that "
              "is not the mock reports them apart (`--strict-guesses` makes them fail).", "",
              "| where | rule | why |", "|---|---|---|"]
    for pointer, keyword, why in all_guesses(document):
        node = _at(document, pointer)
        if keyword == "path":
            rule = "its literal path segments"
            pointer = f"{pointer} (path)"
        elif keyword == "description":
            rule = "the rule its description states"
            pointer = f"{pointer} (description)"
        elif keyword is not None:
            rule = _rule(keyword, node.get(keyword, False) if isinstance(node, dict) else False)
            if pointer == "/":
                pointer = f"every request object ({keyword})"
            else:
                pointer = f"{pointer} {keyword}"
        else:
            rule = _summary(node, pointer)
        lines.append(f"| `{_cell(pointer)}` | {_cell(rule)} | {_cell(why)} |")
    return lines + [""] + ledger_section(name, document)


def render(openapi_dir: Path | None = None) -> str:
    from ..resources import spec_path

    out = [
        "# Fidelity: documented vs guessed",
        "",
        "Generated from the specs by `python -m mock_server.spec.fidelity --write`; do not edit "
        "by hand (`tests/spec/test_fidelity.py` fails when it is stale).",
        "",
        "A rule is *documented* when the vendor's reference states it; otherwise the spec marks "
        "it `x-stagemock-guess: <why>` (on a schema, parameter schema, response or header: that "
        "node and everything below it, `type` aside), `x-stagemock-guess-keywords: {keyword: why}` "
        "(only those keywords of a schema) or, at the document root, "
        "`x-stagemock-guess-keywords` (that keyword everywhere: the strict request bodies). A "
        "rule the reference states in words rather than tokens carries "
        "`x-stagemock-documented: <section of the reference>`. Each API ends with its ledger: "
        "every name and value of the spec, counted by class.",
        "",
    ]
    for name, title, reference in APIS:
        path = (openapi_dir / f"{name}.yaml") if openapi_dir else spec_path(name)
        document = yaml.safe_load(Path(path).read_text())
        out += _api_section(name, title, reference, document)
    out += _mcp_section()
    return "\n".join(out).rstrip() + "\n"


def _mcp_section() -> list[str]:
    """The MCP tools' names: the mock's own vocabulary (the StagePro reference says only that
    the vendor's MCP server has tools wrapping jobs, batches, workflows and the design agent,
    and names none of them)."""
    from ..mcp.tools import build_tools  # the catalogue; imported only to write this page

    names = [t.name for t in build_tools()]
    return ["## The MCP tools (`stagemock mcp`)", "",
            "StagePro's reference says its MCP server's tools wrap jobs, batches, workflows and "
            "the AI design agent, and names none: every tool name below is this mock's "
            f"(guessed: {len(names)} of {len(names)}).", "",
            ", ".join(f"`{n}`" for n in names), ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_server.spec.fidelity")
    parser.add_argument("--write", action="store_true", help=f"write {DOC}")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
