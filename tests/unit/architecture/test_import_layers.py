"""The package's layers import downward only, and no module imports itself back through others.

Every `import envsim.X` / `from envsim.X import ...` in envsim/, at module level or inside a
function (lazy imports count: they run too), is read from the source with `ast`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "envsim"

# Lower numbers sit lower. A module may import its own layer's package or any lower layer.
LAYERS: dict[str, int] = {
    "envsim": 0,  # the root package: __version__ only
    "errors": 0,
    "units": 0,
    "fileio": 0,
    "interrupts": 0,
    "config": 1,
    "journal": 2,
    "compose": 2,
    "plan": 3,
    "engine": 4,
    "images": 5,
    "run": 6,
    "verdict": 7,
    "reports": 8,
    "api": 9,
    "cli": 10,
    "mcp": 10,
    "pytest_plugin": 10,
    "__main__": 11,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The envsim modules a file imports; `from pkg import sub` counts as importing pkg.sub."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "envsim")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "envsim":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def layer_of(module: str) -> tuple[str, int]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "envsim"
    if top not in LAYERS:
        raise AssertionError(f"{module}: its package {top!r} has no layer; add it to LAYERS")
    return top, LAYERS[top]


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported_modules(path, set(known)) for name, path in known.items()}


def test_every_import_goes_downward():
    wrong = []
    for module, targets in import_graph().items():
        package, level = layer_of(module)
        for target in sorted(targets):
            target_package, target_level = layer_of(target)
            if target_package != package and target_level >= level:
                wrong.append(f"{module} ({package}, {level}) imports {target} ({target_package}, {target_level})")
    assert not wrong, "imports that do not go downward:\n" + "\n".join(wrong)


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


def test_the_checker_sees_a_backward_import_and_a_cycle():
    # the rules above must be able to fail: a plain-data graph with both defects
    graph = {"envsim.plan.a": {"envsim.engine.b"}, "envsim.engine.b": {"envsim.plan.a"}}
    assert strongly_connected(graph) == [["envsim.engine.b", "envsim.plan.a"]]
    assert layer_of("envsim.engine.b")[1] > layer_of("envsim.plan.a")[1]


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
