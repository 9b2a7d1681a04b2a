"""The shape of the code, checked: dependencies point one way, adapters stay at the edge.

These read the source with :mod:`ast`, so they hold for every import,
including ones inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sheetcrm"
VENDORS = ("click", "openpyxl", "gspread", "google", "google_auth_oauthlib", "requests")
MAX_CLASS_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # "from . import tabs" imports the submodule tabs.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def internal_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {i for i in imports(path, name) if i in mods and i != name}
            for name, path in mods.items()}


def test_the_import_graph_has_no_cycle() -> None:
    graph = internal_graph()
    # A package imports its own submodules by design (a registry); a submodule
    # importing its own package back is the cycle that matters, so package ->
    # child edges are left out.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not t.startswith(name + ".")}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def core_modules() -> list[str]:
    return [n for n in modules() if not n.startswith("sheetcrm.backends") and n != "sheetcrm.cli"]


@pytest.mark.parametrize("name", core_modules())
def test_the_core_imports_no_vendor_library(name: str) -> None:
    used = {i.split(".")[0] for i in imports(modules()[name], name)}
    assert not used & set(VENDORS), f"{name} imports {sorted(used & set(VENDORS))}"


def test_only_the_backends_import_their_vendor() -> None:
    for name, path in modules().items():
        used = {i.split(".")[0] for i in imports(path, name)}
        if "openpyxl" in used:
            assert name.startswith("sheetcrm.backends.excel"), name
        if used & {"gspread", "google"}:
            assert name.startswith(("sheetcrm.backends.google", "sheetcrm.backends.retry")), name


def test_the_cli_names_no_backend_class_and_checks_no_backend_type() -> None:
    source = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not {"ExcelBackend", "GoogleBackend", "MemoryBackend"} & names
    assert "isinstance" not in names
    assert not any(i.startswith(("sheetcrm.backends.excel", "sheetcrm.backends.google"))
                   for i in imports(PACKAGE / "cli.py", "sheetcrm.cli"))


def test_the_engine_never_probes_a_backend() -> None:
    for name in ("tracker.py", "sync.py", "opening.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not {"getattr", "hasattr"} & calls, name


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_class_is_over_400_lines(name: str) -> None:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_CLASS_LINES, f"{name}.{node.name} is {length} lines"
