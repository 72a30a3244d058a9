"""Each package imports only the packages below it that its floors allow, and no module imports
itself back through others.

Every `import envsim.X` / `from envsim.X import ...` in envsim/, at module level or inside a
function (lazy imports count: they run too), is read from the source with `ast`.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from envsim_sources import PACKAGE, parsed

# The root modules: plain helpers every layer may use; they import only each other.
ROOT = frozenset({"envsim", "errors", "units", "fileio", "interrupts"})

# Each package and the packages it may import besides itself and the root modules: the floors.
# verdict and reports read a journal and nothing that ran it; the front ends (cli, mcp, the
# pytest plugin) reach the engine, images and runs only through api.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "config": frozenset(),
    "journal": frozenset({"config"}),
    "compose": frozenset({"config"}),
    "plan": frozenset({"config", "journal"}),
    "engine": frozenset({"config", "journal", "plan"}),
    "images": frozenset({"config", "plan", "engine"}),
    "run": frozenset({"config", "journal", "plan", "engine"}),
    "verdict": frozenset({"config", "journal"}),
    "reports": frozenset({"config", "journal", "verdict"}),
    "api": frozenset({"config", "journal", "compose", "plan", "engine", "images", "run", "verdict", "reports"}),
    "cli": frozenset({"api", "config", "journal", "compose", "plan", "verdict", "reports"}),
    "mcp": frozenset({"api"}),
    "pytest_plugin": frozenset({"api"}),
    "__main__": frozenset({"cli"}),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The envsim modules a file imports; `from pkg import sub` counts as importing pkg.sub."""
    found: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "envsim")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "envsim":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    package = parts[1] if len(parts) > 1 else "envsim"
    if package not in ROOT and package not in MAY_IMPORT:
        raise AssertionError(f"{module}: its package {package!r} has no floor; add it to MAY_IMPORT")
    return package


def may_import(package: str, target: str, floors: dict[str, frozenset[str]]) -> bool:
    if target in ROOT:
        return True
    return package not in ROOT and (target == package or target in floors[package])


@functools.cache  # read by two tests; neither changes it
def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported_modules(path, set(known)) for name, path in known.items()}


def imports_below_the_floors(graph: dict[str, set[str]], floors: dict[str, frozenset[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        package = package_of(module)
        for target in sorted(targets):
            if not may_import(package, package_of(target), floors):
                wrong.append(f"{module} ({package}) imports {target}")
    return wrong


def test_every_import_stays_within_its_packages_floors():
    wrong = imports_below_the_floors(import_graph(), MAY_IMPORT)
    assert not wrong, "imports a package's floors do not allow:\n" + "\n".join(wrong)


def test_the_floors_themselves_have_no_cycle():
    # a package allowed to import one that may import it back would make "downward" meaningless
    graph = {f"envsim.{package}": {f"envsim.{t}" for t in targets} for package, targets in MAY_IMPORT.items()}
    assert [c for c in strongly_connected(graph) if len(c) > 1] == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components of more than one module are import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in graph:
                continue
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles():
    graph = {module: {t for t in targets if t != module} for module, targets in import_graph().items()}
    cycles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_a_forbidden_import_and_a_cycle():
    # the rules above must be able to fail: plain-data graphs with each defect
    graph = {"envsim.plan.a": {"envsim.engine.b"}, "envsim.engine.b": {"envsim.plan.a"}}
    assert strongly_connected(graph) == [["envsim.engine.b", "envsim.plan.a"]]
    assert imports_below_the_floors(graph, MAY_IMPORT) == ["envsim.plan.a (plan) imports envsim.engine.b"]
    reports_reading_a_run = {"envsim.reports.x": {"envsim.run.y", "envsim.journal.z", "envsim.errors"}}
    assert imports_below_the_floors(reports_reading_a_run, MAY_IMPORT) == [
        "envsim.reports.x (reports) imports envsim.run.y"
    ]
    cli_reaching_the_engine = {"envsim.cli.x": {"envsim.engine.docker_engine", "envsim.api"}}
    assert imports_below_the_floors(cli_reaching_the_engine, MAY_IMPORT) == [
        "envsim.cli.x (cli) imports envsim.engine.docker_engine"
    ]


def top_level_imports(path: Path) -> set[str]:
    """The top-level names of every module a file imports (`from a.b import c` counts as `a`)."""
    found: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_locust_child_imports_locust_or_gevent():
    # importing Locust monkey-patches the whole process with gevent: never in envsim's own
    importers = sorted(name for name, path in modules().items() if top_level_imports(path) & {"locust", "gevent"})
    assert importers and all(name.startswith("envsim.run.locust_child") for name in importers), importers


@pytest.mark.parametrize("module", ["envsim.api", "envsim.cli", "envsim.config", "envsim.journal"])
def test_importing_the_front_layers_loads_neither_docker_nor_locust(module):
    import subprocess
    import sys

    code = (
        f"import sys, {module}; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'locust', 'gevent')); "
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_test_files_have_unique_basenames():
    # pytest imports test modules by basename (no packages under tests/): two files of one name
    # stop the whole run at collection
    from collections import defaultdict

    tests = PACKAGE.parent / "tests"
    names = defaultdict(list)
    for path in tests.rglob("test_*.py"):
        names[path.name].append(str(path.relative_to(tests)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
