"""Every error code is written once, in its API's ``exceptions.py`` (one class per code), and
the spec's list of codes matches those classes both ways. A failure names the code (and the
file and line of a stray literal)."""

from __future__ import annotations

import ast
import inspect
import re
from types import ModuleType

import pytest
import yaml

from mock_server import errors
from mock_server.stagepro import exceptions as stagepro_exceptions
from mock_server.stagerai import exceptions as stagerai_exceptions
from tests.conftest import OPENAPI, ROOT

PACKAGES = {"stagepro": stagepro_exceptions, "stagerai": stagerai_exceptions}


def _classes(module: ModuleType) -> list[type[errors.ApiError]]:
    """The ``ApiError`` classes defined in ``module``."""
    return [
        cls for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, errors.ApiError) and cls.__module__ == module.__name__
    ]


def _own_codes(module: ModuleType) -> dict[str, int]:
    """code → status of the classes that set a ``code`` of their own."""
    return {cls.code: cls.status for cls in _classes(module) if "code" in cls.__dict__}


#: The generic codes, raised as ``mock_server/errors.py``'s base classes themselves.
GENERIC = {
    cls.code: cls.status for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ApiError)
}


def _description(api: str) -> str:
    return yaml.safe_load((OPENAPI / f"{api}.yaml").read_text())["info"]["description"]


def _stagepro_codes() -> dict[str, int]:
    """The "Errors" table of ``openapi/stagepro.yaml``: ``| status | when | `code`, ... |``."""
    codes: dict[str, int] = {}
    for status, cells in re.findall(r"^\|\s*(\d{3})\s*\|(.*)\|\s*$", _description("stagepro"), re.M):
        for code in re.findall(r"`(\w+)`", cells.rsplit("|", 1)[-1]):
            codes[code] = int(status)
    return codes


def _stagerai_codes() -> dict[str, int]:
    """The "Error envelope" list of ``openapi/stagerai.yaml``:
    ``Codes: `a`, `b` (400); `c` (401); ... (415).``"""
    text = _description("stagerai")
    listing = text[text.index("Codes:"):]
    listing = listing[: listing.index(").") + 2]
    parts = re.split(r"\((\d{3})\)", listing)
    codes: dict[str, int] = {}
    for names, status in zip(parts[0::2], parts[1::2], strict=False):
        for code in re.findall(r"`(\w+)`", names):
            codes[code] = int(status)
    return codes


SPEC_CODES = {"stagepro": _stagepro_codes, "stagerai": _stagerai_codes}


# (a) no code literal outside exceptions.py ---------------------------------------------------


def _code_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """``code="..."`` keywords and ``code = "..."`` / ``x.code = "..."`` assignments."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code":
            value = node.value
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", None)
                     for t in targets]
            if "code" not in names:
                continue
            value = node.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append((node.lineno, value.value))
    return sorted(found)


@pytest.mark.parametrize("api", sorted(PACKAGES))
def test_no_code_literal_outside_exceptions(api):
    """Read from the source on purpose: "each code is written once" is a rule about where
    code is written (the registry of codes is the classes of ``exceptions.py``), not a
    behaviour a request can show. A literal elsewhere answers like a class would until the
    spec and the class drift apart; the tests below check the registry itself both ways."""
    stray = []
    for path in sorted((ROOT / "mock_server" / api).glob("*.py")):
        if path.name == "exceptions.py":
            continue
        for line, code in _code_literals(ast.parse(path.read_text(), str(path))):
            stray.append(f"{path.relative_to(ROOT)}:{line} code={code!r}")
    assert not stray, (
        f"error codes written outside mock_server/{api}/exceptions.py (add a class there): "
        f"{stray}"
    )


def test_the_literal_check_catches_both_forms():
    tree = ast.parse('raise NotFound("x", code="gone")\nerr.code = "late"\ncode: str = "x"\n')
    assert [c for _, c in _code_literals(tree)] == ["gone", "late", "x"]


# (b) exceptions.py and the spec's codes, both ways -------------------------------------------


@pytest.mark.parametrize("api", sorted(PACKAGES))
def test_every_class_code_is_in_the_spec_with_its_status(api):
    spec = SPEC_CODES[api]()
    own = _own_codes(PACKAGES[api])
    assert own, f"mock_server/{api}/exceptions.py defines no error code"
    missing = sorted(code for code in own if code not in spec)
    assert not missing, f"codes of mock_server/{api}/exceptions.py not in openapi/{api}.yaml's error codes: {missing}"
    wrong = sorted(f"{c}: class {s}, spec {spec[c]}" for c, s in own.items() if spec[c] != s)
    assert not wrong, f"status differs between exceptions.py and openapi/{api}.yaml: {wrong}"


@pytest.mark.parametrize("api", sorted(PACKAGES))
def test_every_spec_code_has_a_class(api):
    spec = SPEC_CODES[api]()
    assert spec, f"could not read the error codes of openapi/{api}.yaml"
    known = {**GENERIC, **_own_codes(PACKAGES[api])}
    missing = sorted(code for code in spec if code not in known)
    assert not missing, (
        f"codes of openapi/{api}.yaml with no class in mock_server/{api}/exceptions.py "
        f"(nor a generic one in mock_server/errors.py): {missing}"
    )
    wrong = sorted(f"{c}: spec {s}, class {known[c]}" for c, s in spec.items() if known[c] != s)
    assert not wrong, f"status differs between openapi/{api}.yaml and the classes: {wrong}"


@pytest.mark.parametrize("api", sorted(PACKAGES))
def test_every_code_also_appears_in_the_spec_responses(api):
    """Beyond the summary: each code of exceptions.py is described or exemplified elsewhere in
    the spec too (an operation, a response, an example)."""
    text, description = (OPENAPI / f"{api}.yaml").read_text(), _description(api)

    def count(code: str, where: str) -> int:
        return len(re.findall(rf"\b{code}\b", where))

    missing = sorted(c for c in _own_codes(PACKAGES[api]) if count(c, text) <= count(c, description))
    assert not missing, f"codes only in openapi/{api}.yaml's summary, nowhere else: {missing}"


@pytest.mark.parametrize("api", sorted(PACKAGES))
def test_each_class_says_when_it_is_raised(api):
    bare = [cls.__name__ for cls in _classes(PACKAGES[api]) if not (cls.__doc__ or "").strip()]
    assert not bare, f"mock_server/{api}/exceptions.py classes without a docstring: {bare}"


def test_every_image_decode_code_has_a_stagepro_error():
    """An upload turns ``ImageDecodeError.code`` into its error by ``NOT_AN_IMAGE`` (400) or
    ``ImageTooLarge`` (422): each code ``images/decode.py`` raises must have one."""
    from mock_server.images.decode import CODES, ImageDecodeError

    raised = set(CODES)  # ImageDecodeError refuses any other code
    with pytest.raises(ValueError):
        ImageDecodeError("not_a_code", "x")
    handled = {*stagepro_exceptions.NOT_AN_IMAGE, stagepro_exceptions.ImageTooLarge.code}
    assert raised <= handled, f"image decode codes with no StagePro error: {sorted(raised - handled)}"
