"""The package layout follows the pipeline: lower stages never import higher ones, and no cycles.

In the spirit of import-linter's "layers" and "independence" contracts, checked from the source
with :mod:`ast` (no import of the package needed): every ``import``/``from ... import`` of a
``screening`` module, at module level or inside a function, is an edge from the importing stage
to the imported one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "screening"

# Stage of each top-level part of the package, lowest first. Equal ranks are independent
# siblings: neither may import the other.
STAGES: dict[str, int] = {
    "_version": 0,
    "errors": 0,
    "model": 1,
    "facts": 2,
    "rulebook": 3,
    "engine": 4,
    "audit": 5,
    "review": 5,
    "authoring": 6,
    "mitigation": 6,
    "server": 7,
    "cli": 8,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    targets: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.startswith("screening"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("screening"):
                targets.add(name)
                targets.update(f"{name}.{a.name}" for a in node.names)
    return targets


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_part_of_the_package_has_a_stage() -> None:
    """A new top-level module or package must be placed in the pipeline on purpose."""
    parts = {_stage(m) for m in _modules()} - {None}
    assert parts <= set(STAGES), f"unplaced: {sorted(parts - set(STAGES))}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_lower_stages_never_import_higher_ones(module: str) -> None:
    """Imports run from the data outwards: model → facts → rulebook → engine → … → cli."""
    modules = _modules()
    source = _stage(module)
    if source is None:
        return  # the package root is the public API: it may import any stage
    wrong = []
    for target in sorted(_imports(module, modules[module], top_level_only=False)):
        stage = _stage(target)
        if target not in modules or stage is None or stage == source:
            continue
        if STAGES[stage] > STAGES[source] or (STAGES[stage] == STAGES[source] and stage != source):
            wrong.append(f"{target} ({stage})")
    assert not wrong, f"{module} ({source}) imports a higher or sibling stage: {wrong}"


def test_no_stage_imports_the_package_root() -> None:
    """The root re-exports every stage, so importing it from inside would be a cycle."""
    offenders = [
        m
        for m, path in _modules().items()
        if _stage(m) is not None and "screening" in _imports(m, path, top_level_only=False)
    ]
    assert offenders == []


def test_no_import_cycles_at_module_level() -> None:
    """Module-level imports form no cycle (lazy imports inside functions may break one)."""
    modules = _modules()
    graph = {
        m: sorted(t for t in _imports(m, p, top_level_only=True) if t in modules and t != m)
        for m, p in modules.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_private_modules_are_private() -> None:
    """Modules that only their own stage uses keep a leading underscore (durable-rules above all)."""
    modules = _modules()
    users = {
        m
        for m, p in modules.items()
        if any(
            t.startswith("screening.engine._durable") for t in _imports(m, p, top_level_only=False)
        )
    }
    assert {_stage(m) for m in users} <= {"engine"}
    durable = [
        m
        for m, p in modules.items()
        if "durable" in p.read_text()
        and "import durable" in p.read_text().replace("from durable", "import durable")
    ]
    assert durable == ["screening.engine._durable"]
