"""What stands on what: import directions between the driver, the servers and `_engine`.

Imports are read from the source with `ast` (nothing is imported or run), function-local ones
included, relative ones resolved. The driver (`paid_dbapi`'s top-level modules and
`paid_sqlalchemy`) imports no server; the gateway imports the emulator's engine code only
through `paid_dbapi._engine`; `_engine` imports neither server. The few deliberate edges where
a program offers the in-process emulator as a transport are listed in `ALLOWED` by importing
function and imported names, so any other import fails.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import ROOT

PACKAGES = ("paid_dbapi", "paid_sqlalchemy")
SERVERS = ("paid_dbapi.emulator", "paid_dbapi.gateway", "paid_dbapi.cli")
ENGINE = "paid_dbapi._engine"

#: (importing module, enclosing function, imported module) -> the names it may import there.
ALLOWED: dict[tuple[str, str, str], frozenset[str]] = {
    # connect(demo=True): the driver's embedded default runs the emulator in-process
    ("paid_dbapi", "_demo", "paid_dbapi.emulator"): frozenset({"DEMO_BASE_URL", "demo_transport"}),
    # paid-gateway serve --demo: the in-process emulator as the gateway's upstream
    ("paid_dbapi.gateway._cli", "demo_upstream", "paid_dbapi.emulator"): frozenset(
        {"DEMO_BASE_URL", "Emulator", "tty_status"}
    ),
}


@dataclass(frozen=True)
class Edge:
    """One import statement's target: who imports what, where, which names."""

    importer: str
    function: str  # the innermost enclosing function, "" at module level
    target: str
    names: frozenset[str]
    line: int

    def __str__(self) -> str:
        where = f" in {self.function}()" if self.function else ""
        names = f" ({', '.join(sorted(self.names))})" if self.names else ""
        return f"{self.importer}:{self.line}{where} imports {self.target}{names}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    """Every module of the two packages, by dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = source_modules()


def _resolve(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


class _Imports(ast.NodeVisitor):
    def __init__(self, importer: str, path: Path) -> None:
        self.importer, self.path = importer, path
        self.functions: list[str] = []
        self.edges: list[Edge] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _edge(self, target: str, names: frozenset[str], line: int) -> None:
        function = self.functions[-1] if self.functions else ""
        self.edges.append(Edge(self.importer, function, target, names, line))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._edge(alias.name, frozenset(), node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve(self.importer, self.path, node)
        names = frozenset(alias.name for alias in node.names)
        self._edge(base, names, node.lineno)
        for name in names:  # `from . import sql` imports the module paid_dbapi.gateway._sql
            if f"{base}.{name}" in MODULES:
                self._edge(f"{base}.{name}", frozenset(), node.lineno)


def edges() -> list[Edge]:
    found: list[Edge] = []
    for name, path in MODULES.items():
        visitor = _Imports(name, path)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found.extend(visitor.edges)
    return found


EDGES = edges()


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def is_driver(module: str) -> bool:
    """`paid_dbapi`'s own top-level modules and all of `paid_sqlalchemy`."""
    return within(module, "paid_sqlalchemy") or (
        within(module, "paid_dbapi") and module.count(".") <= 1 and module not in SERVERS
        and module != ENGINE
    )  # fmt: skip


def allowed(edge: Edge) -> bool:
    permitted = ALLOWED.get((edge.importer, edge.function, edge.target))
    return permitted is not None and edge.names <= permitted


def violations(importers: str | Callable[[str], bool], forbidden: tuple[str, ...]) -> list[str]:
    """Imports by modules of `importers` (a package, or a test of the module name) of any
    module within `forbidden`, except the allowed edges."""
    chosen = importers if callable(importers) else lambda module: within(module, importers)
    return [
        str(edge)
        for edge in EDGES
        if chosen(edge.importer)
        and any(within(edge.target, f) for f in forbidden)
        and not allowed(edge)
    ]


def test_the_modules_are_read() -> None:
    # the rules below would pass vacuously on a tree they cannot see
    assert {"paid_dbapi", "paid_dbapi._cursor", "paid_sqlalchemy._dialect"} <= set(MODULES)
    assert {f"{ENGINE}.{m}" for m in ("worker", "sandbox", "guard", "messages", "serving")} <= set(
        MODULES
    )
    assert any(
        e.importer == "paid_dbapi.gateway._local" and within(e.target, ENGINE) for e in EDGES
    )
    assert any(e.function == "_demo" for e in EDGES)


def test_the_driver_imports_no_server() -> None:
    """The driver stands on nothing of the servers (nor on their shared engine) but the one
    embedded default, `connect(demo=True)`."""
    assert violations(is_driver, (*SERVERS, ENGINE)) == []


def test_the_gateway_imports_the_emulator_only_through_engine() -> None:
    assert violations("paid_dbapi.gateway", ("paid_dbapi.emulator",)) == []


def test_the_emulator_imports_neither_the_gateway_nor_the_cli() -> None:
    assert violations("paid_dbapi.emulator", ("paid_dbapi.gateway", "paid_dbapi.cli")) == []


def test_engine_imports_neither_server() -> None:
    assert violations(ENGINE, SERVERS) == []


@pytest.mark.parametrize("key", sorted(ALLOWED))
def test_each_allowed_edge_exists_and_is_lazy(key: tuple[str, str, str]) -> None:
    """An allowed edge that no longer exists is removed from the list, and it stays inside its
    function, so importing the importer never loads the emulator."""
    importer, function, target = key
    found = [e for e in EDGES if (e.importer, e.function, e.target) == key]
    assert found, f"{importer}.{function} no longer imports {target}: remove it from ALLOWED"
    assert all(e.names <= ALLOWED[key] for e in found)
    assert not [e for e in EDGES if (e.importer, e.target) == (importer, target) and not e.function]


def test_class_names_say_what_they_are() -> None:
    """No two modules define a class of the same name (there were two `Engine`s and two
    `Response`s), and `TRUNCATION_MODES` is the driver's alone."""
    defined: dict[str, list[str]] = {}
    truncation: list[str] = []
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                defined.setdefault(node.name, []).append(name)
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "TRUNCATION_MODES" for t in targets):
                truncation.append(name)
    assert {cls: where for cls, where in defined.items() if len(where) > 1} == {}
    assert truncation == ["paid_dbapi._connection"]
