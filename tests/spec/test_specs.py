"""The specs themselves: valid OpenAPI 3.1, loadable by schemathesis, every example valid
against its own schema, every vendor example present, every operation handled."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from mock_server import Settings, create_app
from mock_server.spec.loader import load_spec
from tests.vendor import reference

ROOT = Path(__file__).resolve().parents[2]
SPECS = ["stagepro.yaml", "stagerai.yaml", "admin.yaml", "proxy-admin.yaml"]


def _doc(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi" / name).read_text())


@pytest.mark.parametrize("name", SPECS)
def test_spec_is_valid_openapi_31(name):
    doc = _doc(name)
    assert doc["openapi"].startswith("3.1")
    validate(doc)


@pytest.mark.parametrize("name", SPECS)
def test_schemathesis_loads_every_operation(name):
    import schemathesis

    schema = schemathesis.openapi.from_path(str(ROOT / "openapi" / name))
    ops = [r.ok() for r in schema.get_all_operations()]
    doc = _doc(name)
    expected = sum(
        1 for item in doc["paths"].values() for m in item if m in ("get", "post", "put", "patch", "delete")
    )
    assert len(ops) == expected


def _suspect_keys(node: Any, where: str = "") -> list[str]:
    """Keys a YAML flow mapping cut at an unquoted comma leaves behind: a property name with a
    space or ending in '.', or (outside examples, defaults, enums) any key whose value is null
    (``{description: a, b.}`` parses as ``{"description": "a", "b.": None}``)."""
    out = []
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            out += [f"{where}/properties/{k}" for k in props if " " in str(k) or str(k).endswith(".")]
        for key, value in node.items():
            if key in ("examples", "example", "default", "const", "enum"):
                continue
            if value is None:
                out.append(f"{where}/{key}: null")
            out += _suspect_keys(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _suspect_keys(value, f"{where}/{i}")
    return out


@pytest.mark.parametrize("name", SPECS)
def test_no_yaml_flow_mapping_cut_at_a_comma(name):
    assert _suspect_keys(_doc(name)) == []


def test_the_guard_catches_a_cut_flow_mapping():
    doc = yaml.safe_load("properties:\n  op: {type: string, description: The operation, or null.}\n")
    assert _suspect_keys(doc) == ["/properties/op/or null.: null"]


def _undefined_required(doc: dict[str, Any]) -> list[str]:
    """Every name a ``required`` lists that no ``properties`` defines: neither the schema's own,
    nor those of the schema a ``oneOf``/``anyOf``/``allOf``/``not`` branch belongs to, nor an
    ``allOf`` sibling's (``$ref``s followed); a map (``additionalProperties`` or
    ``propertyNames`` as a schema) defines any key."""

    def props(node: Any) -> set[str]:
        node = _resolve(doc, node)
        if not isinstance(node, dict):
            return set()
        out = set(node.get("properties") or {})
        for sub in node.get("allOf") or []:
            out |= props(sub)
        return out

    def is_map(node: dict[str, Any]) -> bool:
        return isinstance(node.get("additionalProperties"), dict) or "propertyNames" in node

    found: list[str] = []

    def walk(node: Any, where: str, inherited: set[str], map_parent: bool) -> None:
        if isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}", inherited, map_parent)
            return
        if not isinstance(node, dict):
            return
        own = props(node) | inherited
        mapping = map_parent or is_map(node)
        required = node.get("required")
        if isinstance(required, list) and not ("in" in node and "name" in node) and not mapping:
            found.extend(f"{where}: {name}" for name in required if name not in own)
        for key, sub in node.items():
            if key in ("example", "examples", "default", "const", "enum"):
                continue
            if key in ("oneOf", "anyOf", "allOf", "not"):  # branches of this very schema
                walk(sub, f"{where}/{key}", own, mapping)
            else:
                walk(sub, f"{where}/{key}", set(), False)

    walk(doc, "", set(), False)
    return found


@pytest.mark.parametrize("name", SPECS)
def test_every_required_name_is_a_defined_property(name):
    """Generators and mock servers (Dredd, Prism) build objects from ``properties``: a
    ``required`` name they cannot find there is an object they cannot build."""
    assert _undefined_required(_doc(name)) == []


def test_the_required_guard_catches_an_undefined_name():
    doc = {"components": {"schemas": {"A": {"type": "object", "required": ["id", "x"],
                                            "properties": {"id": {"type": "string"}}}}}}
    assert _undefined_required(doc) == ["/components/schemas/A: x"]


@pytest.mark.parametrize("name", SPECS)
def test_every_path_parameter_has_an_example(name):
    """Dredd (and other tools that call the API from the spec) fill path parameters from
    their ``example``: without one the operation cannot be called."""
    doc = _doc(name)
    missing = []
    for path, item in doc["paths"].items():
        scopes = [item] + [op for op in item.values() if isinstance(op, dict) and "responses" in op]
        for scope in scopes:
            for p in scope.get("parameters", []):
                p = _resolve(doc, p)
                if p["in"] == "path" and "example" not in p and "examples" not in p:
                    missing.append(f"{path} {p['name']}")
    assert missing == []


def _unquoted_urls_in_flow(text: str) -> list[int]:
    """Lines whose YAML flow collection (``{...}`` / ``[...]``) holds a URL as a plain
    scalar: YAML allows it, Dredd's parser rejects it."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        start = re.search(r"(?:^\s*|:\s|-\s)([{\[])", line.split(" #", 1)[0])
        if start is None:
            continue
        flow = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'', '""', line[start.start(1):])
        if "://" in flow:
            out.append(number)
    return out


@pytest.mark.parametrize("name", SPECS)
def test_no_unquoted_url_in_a_yaml_flow_collection(name):
    assert _unquoted_urls_in_flow((ROOT / "openapi" / name).read_text()) == []


def test_the_url_guard_catches_a_plain_url():
    assert _unquoted_urls_in_flow('a: {url: https://x.test/a, b: "https://x.test/b"}\n'
                                  'b: {url: "https://x.test/a"}\n- [http://x.test]\n') == [1, 3]


REDOCLY_VERSION = "2.77.0"
REDOCLY_DIR = ROOT / ".venv" / "redocly"


def _redocly() -> Path:
    """Redocly CLI, installed once into .venv/redocly (npm cache in .venv/npm-cache, nothing
    committed): about 7 s the first time, then nothing."""
    binary = REDOCLY_DIR / "node_modules" / ".bin" / "redocly"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node/npm not installed: Redocly lint not run")
    REDOCLY_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    proc = subprocess.run(
        [npm, "install", "--prefix", str(REDOCLY_DIR), "--cache", str(ROOT / ".venv" / "npm-cache"),
         "--no-audit", "--no-fund", f"@redocly/cli@{REDOCLY_VERSION}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    if proc.returncode != 0 or not binary.exists():
        pytest.skip(f"npm could not install @redocly/cli (offline?): {proc.stderr[-500:]}")
    print(f"installed @redocly/cli {REDOCLY_VERSION} in {time.monotonic() - started:.1f} s")
    return binary


def test_redocly_lint_finds_no_errors():
    """Redocly's recommended rules over the three specs (tests/spec/redocly.yaml: examples may
    carry properties their schema does not forbid): 0 errors, and no invalid example or
    missing license among the warnings."""
    proc = subprocess.run(
        [str(_redocly()), "lint", *(str(ROOT / "openapi" / n) for n in SPECS), "--format=stylish",
         "--max-problems", "1000", "--config", str(Path(__file__).with_name("redocly.yaml"))],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )
    errors = [line for line in proc.stdout.splitlines() if " error " in f" {line} "]
    assert proc.returncode == 0 and not errors, (proc.stdout + proc.stderr)[-4000:]
    fixed = ("no-invalid-media-type-examples", "info-license")
    assert not [line for line in proc.stdout.splitlines() if any(r in line for r in fixed)], (
        proc.stdout[-4000:])


def _resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = doc
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
    return node


def _examples(doc):
    """(where, schema, value) for every example of every request body, response and parameter."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            where = f"{method.upper()} {path}"
            params = list(item.get("parameters", [])) + list(op.get("parameters", []))
            for p in params:
                p = _resolve(doc, p)
                for name, ex in (p.get("examples") or {}).items():
                    yield f"{where} param {p['name']} {name}", p["schema"], _resolve(doc, ex)["value"]
                if "example" in p:
                    yield f"{where} param {p['name']}", p["schema"], p["example"]
            bodies = []
            if "requestBody" in op:
                bodies.append(("request", _resolve(doc, op["requestBody"])))
            for code, resp in op["responses"].items():
                bodies.append((f"response {code}", _resolve(doc, resp)))
            for label, body in bodies:
                for media, content in (body.get("content") or {}).items():
                    schema = content.get("schema")
                    if schema is None or "json" not in media:
                        continue
                    for name, ex in (content.get("examples") or {}).items():
                        ex = _resolve(doc, ex)
                        if "value" in ex:
                            yield f"{where} {label} {media} {name}", schema, ex["value"]
                    if "example" in content:
                        yield f"{where} {label} {media}", schema, content["example"]


@pytest.mark.parametrize("name", SPECS)
def test_every_example_validates_against_its_schema(name):
    doc = _doc(name)
    failures = []
    count = 0
    for where, schema, value in _examples(doc):
        count += 1
        root = dict(schema)
        root["components"] = doc.get("components", {})
        validator = jsonschema.Draft202012Validator(
            root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        errors = [e.message for e in validator.iter_errors(value)]
        if errors:
            failures.append(f"{where}: {errors[0]}")
    assert not failures, "\n".join(failures)
    assert count > 0


def _spec_request_examples(doc) -> list[Any]:
    out = []
    for item in doc["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            body = _resolve(doc, op["requestBody"])
            for content in body.get("content", {}).values():
                for ex in (content.get("examples") or {}).values():
                    out.append(_resolve(doc, ex).get("value"))
    return out


def _stagepro_vendor_bodies() -> list[Any]:
    text = reference("stagepro")
    return [json.loads(m) for m in re.findall(r"-d '(\{.*?\})'", text, flags=re.S)]


def _stagerai_vendor_bodies() -> list[Any]:
    text = reference("stagerai")
    bodies = []
    for block in re.findall(r"Request Body \(JSON\)\n(\{.*?\n\})", text, flags=re.S):
        block = re.sub(r",\s*\n", ",\n", block)
        bodies.append(json.loads(block))
    return bodies


@pytest.mark.parametrize(
    "name,bodies",
    [("stagepro.yaml", _stagepro_vendor_bodies), ("stagerai.yaml", _stagerai_vendor_bodies)],
)
def test_every_vendor_request_example_is_in_the_spec(name, bodies):
    vendor = bodies()
    assert len(vendor) >= 5
    in_spec = _spec_request_examples(_doc(name))
    missing = [b for b in vendor if b not in in_spec]
    assert not missing, f"vendor examples missing from {name}: {missing}"


def test_every_operation_has_a_handler_and_every_handler_an_operation():
    app = create_app(Settings(deterministic=True))
    ctx = app.state.ctx
    from mock_server.admin.handlers import admin_binding

    admin = admin_binding(load_spec("admin", ROOT / "openapi" / "admin.yaml", ""))
    pairs = [(admin.spec, admin.handlers)]
    for backend in ctx.backends.values():
        binding = backend.binding(ctx)
        pairs.append((binding.spec, binding.handlers))
    for spec, handlers in pairs:
        ops = {op.operation_id for op in spec.operations}
        assert ops == set(handlers), spec.name


def test_a_missing_handler_fails_startup():
    from mock_server.spec.binding import ApiBinding

    spec = load_spec("admin", ROOT / "openapi" / "admin.yaml", "")
    binding = ApiBinding(spec=spec, handlers={}, authenticate=lambda *a: None, error_shape=dict)
    with pytest.raises(RuntimeError, match="without a handler"):
        binding.check_handlers()
    binding = ApiBinding(
        spec=spec,
        handlers={op.operation_id: None for op in spec.operations} | {"extra": None},
        authenticate=lambda *a: None,
        error_shape=dict,
    )
    with pytest.raises(RuntimeError, match="handlers without an operation: \\['extra'\\]"):
        binding.check_handlers()


def test_an_operation_registered_twice_is_refused():
    from mock_server.spec.operations import Operations

    operation = Operations("demo")
    operation("createJob")(lambda call: None)
    with pytest.raises(ValueError, match="two handlers for operation 'createJob'"):
        operation("createJob")(lambda call: None)
