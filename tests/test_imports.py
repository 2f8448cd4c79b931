"""The import rules of ARCHITECTURE.md's layers, checked on the source (``ast``, nothing
imported): ``make lint`` and ``make test`` run this file.

What counts as an import: every ``import`` and ``from ... import`` statement at module level
or inside a function or class (a function-level import runs too: it is a runtime import), and
``importlib.import_module("a.literal.name")``. An import under ``if TYPE_CHECKING:`` is not
one (it never runs). ``from package import name`` is an import of ``package.name`` when that
is a module of the tree, else of ``package``. Importing ``a.b.c`` is one edge to ``a.b.c``:
the parent packages it initialises are not counted (their ``__init__`` files import little;
the lazy names of ``mock_server/__init__.py`` are looked up by ``__getattr__`` and not seen).

The rules (each holds transitively: a chain of imports breaks it as much as a direct one):

1. Models are pure: ``mock_server/*/models.py``, ``stagepro/agent_models.py`` and ``core/``
   reach nothing of Starlette.
2. ``core/`` reaches no API package (``stagepro``, ``stagerai``, ``admin``).
3. Nothing below ``app`` imports ``proxy``. In the layer diagram the entry points (``cli``,
   ``__main__``, ``pytest_plugin`` and its ``_plugin_*`` parts, ``testing``), ``mcp/`` and
   ``app`` itself sit above; ``app`` may use the proxy's ``capture`` (``serve --record``).
   Everything else in ``mock_server`` outside ``proxy/`` is below (``pages``, although named
   on the entry points' line, is a part of ``app``): a new module is below unless this rule
   says otherwise.
4. ``mock_server`` never imports ``contract_tests``. The one exception is the one
   ARCHITECTURE.md states: ``stagemock check`` (``cli._contract``) loads
   ``contract_tests.__main__`` by name when it is called.
5. No runtime import cycle among the modules of ``mock_server`` and ``contract_tests``: a
   shared piece goes in a leaf module both sides import.

The last tests build a small fake tree and plant one violation of each rule, to show the
checks fail when they should.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mock_server", "contract_tests")


@dataclass(frozen=True)
class Rule:
    """Modules matching ``sources`` must not reach, by any chain of imports, a module matching
    ``forbidden``; ``allowed`` lists the (importer, imported) edges the rule does not follow."""

    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    exempt: tuple[str, ...] = ()
    allowed: frozenset[tuple[str, str]] = frozenset()

    def applies_to(self, module: str) -> bool:
        return _matches(module, self.sources) and not _matches(module, self.exempt)


#: Above ``app`` in ARCHITECTURE.md's layers: the only modules (with ``proxy/`` itself) that may
#: import ``proxy``.
ABOVE_APP = (
    "mock_server", "mock_server.__main__", "mock_server.cli", "mock_server.pytest_plugin",
    "mock_server._plugin_*", "mock_server.testing", "mock_server.mcp", "mock_server.mcp.*",
    "mock_server.app",
)

RULES = (
    Rule("models import no Starlette",
         sources=("mock_server.*.models", "mock_server.stagepro.agent_models",
                  "mock_server.core", "mock_server.core.*"),
         forbidden=("starlette", "starlette.*")),
    Rule("core imports no API package",
         sources=("mock_server.core", "mock_server.core.*"),
         forbidden=tuple(f"mock_server.{api}{tail}" for api in ("stagepro", "stagerai", "admin")
                         for tail in ("", ".*"))),
    Rule("nothing below app imports proxy",
         sources=("mock_server", "mock_server.*"),
         exempt=(*ABOVE_APP, "mock_server.proxy", "mock_server.proxy.*"),
         forbidden=("mock_server.proxy", "mock_server.proxy.*")),
    Rule("mock_server never imports contract_tests",
         sources=("mock_server", "mock_server.*"),
         forbidden=("contract_tests", "contract_tests.*"),
         # `stagemock check` hands over to the suite, loaded by name only when called.
         allowed=frozenset({("mock_server.cli", "contract_tests.__main__")})),
)


def _matches(module: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(module, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Import:
    target: str
    line: int


@dataclass
class Graph:
    """Every module of the scanned packages and the runtime imports each one makes."""

    imports: dict[str, list[Import]] = field(default_factory=dict)

    @classmethod
    def scan(cls, root: Path, packages: Iterable[str] = PACKAGES) -> Graph:
        files: dict[str, tuple[Path, bool]] = {}
        for package in packages:
            for path in sorted((root / package).rglob("*.py")):
                parts = list(path.relative_to(root).with_suffix("").parts)
                is_package = parts[-1] == "__init__"
                files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
        graph = cls()
        for module, (path, is_package) in files.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            graph.imports[module] = list(_imports(tree, module, is_package, set(files)))
        return graph

    def chain(self, source: str, rule: Rule) -> list[str] | None:
        """The shortest chain of imports from ``source`` to a module the rule forbids."""
        before: dict[str, str] = {}
        todo = deque([source])
        while todo:
            module = todo.popleft()
            for imp in self.imports.get(module, ()):
                target = imp.target
                if target in before or target == source or (module, target) in rule.allowed:
                    continue
                before[target] = module
                if _matches(target, rule.forbidden):
                    path = [target]
                    while path[-1] != source:
                        path.append(before[path[-1]])
                    return path[::-1]
                todo.append(target)
        return None

    def violations(self, rules: Iterable[Rule] = RULES) -> list[str]:
        found = []
        for rule in rules:
            for module in sorted(m for m in self.imports if rule.applies_to(m)):
                if chain := self.chain(module, rule):
                    found.append(f"{rule.name}: {' -> '.join(chain)}")
        return found

    def cycles(self) -> list[list[str]]:
        """Each group of modules that import one another in a circle (Tarjan's strongly
        connected components, iterative), sorted."""
        edges = {m: sorted({i.target for i in imps if i.target in self.imports})
                 for m, imps in self.imports.items()}
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        for start in sorted(edges):
            if start in index:
                continue
            work = [(start, iter(edges[start]))]
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            while work:
                node, successors = work[-1]
                for succ in successors:
                    if succ not in index:
                        index[succ] = low[succ] = len(index)
                        stack.append(succ)
                        on_stack.add(succ)
                        work.append((succ, iter(edges[succ])))
                        break
                    if succ in on_stack:
                        low[node] = min(low[node], index[succ])
                else:
                    work.pop()
                    if work:
                        low[work[-1][0]] = min(low[work[-1][0]], low[node])
                    if low[node] == index[node]:
                        group = []
                        while True:
                            member = stack.pop()
                            on_stack.discard(member)
                            group.append(member)
                            if member == node:
                                break
                        if len(group) > 1 or node in edges[node]:
                            found.append(sorted(group))
        return sorted(found)

    def describe(self, group: list[str]) -> str:
        lines = dict.fromkeys(f"{m}:{i.line} imports {i.target}" for m in group
                              for i in self.imports[m] if i.target in group)
        return "cycle " + " / ".join(group) + "\n    " + "\n    ".join(lines)


def _imports(tree: ast.Module, module: str, is_package: bool,
             known: set[str]) -> Iterator[Import]:
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield Import(sub if sub in known else target, node.lineno)
        elif (isinstance(node, ast.Call) and _is_import_module(node.func) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and not node.args[0].value.startswith(".")):
            yield Import(node.args[0].value, node.lineno)


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` except the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _is_import_module(func: ast.expr) -> bool:
    return ((isinstance(func, ast.Name) and func.id == "import_module")
            or (isinstance(func, ast.Attribute) and func.attr == "import_module"))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph.scan(ROOT)


def test_the_layers_hold(graph: Graph) -> None:
    assert len(graph.imports) > 100  # the scan found the tree
    violations = graph.violations()
    assert not violations, "import rules of ARCHITECTURE.md broken:\n" + "\n".join(violations)


def test_no_runtime_import_cycle(graph: Graph) -> None:
    cycles = graph.cycles()
    assert not cycles, ("runtime import cycles (move the shared piece to a leaf module):\n"
                        + "\n".join(graph.describe(c) for c in cycles))


# A fake tree that keeps the rules, then one violation of each planted in it.
FAKE = {
    "mock_server/__init__.py": "",
    "mock_server/app.py": "from .proxy import capture\nfrom .stagepro import models\n",
    "mock_server/cli.py": ("import importlib\n\ndef check():\n"
                           "    return importlib.import_module('contract_tests.__main__')\n"),
    "mock_server/errors.py": "from starlette.responses import Response\n",
    "mock_server/core/__init__.py": "",
    "mock_server/core/clock.py": "import time\n",
    "mock_server/stagepro/__init__.py": "",
    "mock_server/stagepro/models.py": (
        "from typing import TYPE_CHECKING\nfrom ..core import clock\n"
        "if TYPE_CHECKING:\n    from ..errors import Response\n    from ..proxy import capture\n"),
    "mock_server/proxy/__init__.py": "",
    "mock_server/proxy/capture.py": "from ..core.clock import time\n",
    "contract_tests/__init__.py": "",
    "contract_tests/__main__.py": "from mock_server.core import clock\n",
}


def _fake(tmp_path: Path, planted: dict[str, str] | None = None) -> Graph:
    """The fake tree with ``planted`` (path: source) written over it, scanned."""
    for name, text in {**FAKE, **(planted or {})}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Graph.scan(tmp_path)


def test_the_fake_tree_keeps_the_rules(tmp_path: Path) -> None:
    fake = _fake(tmp_path)
    assert fake.violations() == []
    assert fake.cycles() == []
    assert [i.target for i in fake.imports["mock_server.stagepro.models"]] == [
        "typing", "mock_server.core.clock"]  # TYPE_CHECKING imports are not counted


@pytest.mark.parametrize(("planted", "expected"), [
    ({"mock_server/stagepro/models.py": "from ..errors import Response\n"},
     "models import no Starlette: mock_server.stagepro.models -> mock_server.errors -> "
     "starlette.responses"),
    ({"mock_server/core/clock.py": "def now():\n    import starlette\n"},
     "models import no Starlette: mock_server.core.clock -> starlette"),
    ({"mock_server/core/clock.py": "from mock_server.stagepro.models import Job\n"},
     "core imports no API package: mock_server.core.clock -> mock_server.stagepro.models"),
    ({"mock_server/errors.py": "from .proxy.capture import Capture\n"},
     "nothing below app imports proxy: mock_server.errors -> mock_server.proxy.capture"),
    ({"mock_server/journal.py": "from . import app\n"},
     "nothing below app imports proxy: mock_server.journal -> mock_server.app -> "
     "mock_server.proxy.capture"),
    ({"mock_server/errors.py": "import contract_tests.checks\n",
      "contract_tests/checks.py": ""},
     "mock_server never imports contract_tests: mock_server.errors -> contract_tests.checks"),
    ({"mock_server/journal.py": ("import importlib\n"
                              "mod = importlib.import_module('contract_tests.__main__')\n")},
     "mock_server never imports contract_tests: mock_server.journal -> "
     "contract_tests.__main__"),
])
def test_a_planted_violation_is_named_with_its_chain(
        tmp_path: Path, planted: dict[str, str], expected: str) -> None:
    assert expected in _fake(tmp_path, planted).violations()


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    fake = _fake(tmp_path, {"mock_server/proxy/cli.py": "from ..cli import check\n",
                            "mock_server/cli.py": "def serve():\n    from .proxy.cli import check\n"})
    assert fake.cycles() == [["mock_server.cli", "mock_server.proxy.cli"]]
    assert "mock_server.cli:2 imports mock_server.proxy.cli" in fake.describe(fake.cycles()[0])


def test_a_type_checking_import_makes_no_cycle(tmp_path: Path) -> None:
    fake = _fake(tmp_path, {"mock_server/proxy/cli.py": "from ..cli import check\n",
                            "mock_server/cli.py": ("from typing import TYPE_CHECKING\n"
                                                   "if TYPE_CHECKING:\n"
                                                   "    from .proxy.cli import check\n")})
    assert fake.cycles() == []
