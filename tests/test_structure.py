"""The shape of the code: layers import downward only (no cycle, not even through an import inside a
function), and every module and class stays small enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("provision", "seed")
SIZED = ("provision", "seed", "tests", "benchmarks", "harness")  # the size rule holds here too
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300

# The layers, bottom up. A module may import its own layer and those below it, never one above. `x.*` is the
# package x with everything in it; a bare name is that module alone (a package's `__init__` as a facade).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "seed: the pieces",
        ("seed.errors", "seed.infile", "seed.outfile", "seed.dsn", "seed.period", "seed.words.*"),
    ),
    (
        "seed: the books' schema, reference data and figures",
        (
            "seed.pgbinary",
            "seed.catalog",
            "seed.people",
            "seed.migrate",
            "seed.months",
            "seed.check",
            "seed.stats",
        ),
    ),
    ("seed: the synthetic books", ("seed.synth.*", "seed.generate", "seed.load")),
    ("seed: agents' registries", ("seed.registry.*",)),
    ("seed: the customer's export", ("seed.legacy.*",)),
    ("seed", ("seed",)),
    ("provision: errors and inputs", ("provision", "provision.errors", "provision.inputs")),
    ("provision.docker", ("provision.docker.*",)),
    (
        "provision.clients: its record, profile and files",
        tuple(
            f"provision.clients.{m}"
            for m in ("workspace", "record", "profile", "secrets", "storage", "render", "claims")
            + ("secretvolume", "datavolume")
        )
        + ("provision.clients",),
    ),
    (
        "provision.clients: its containers",
        ("provision.clients.lifecycle", "provision.clients.swarm", "provision.clients.pool"),
    ),
    ("provision.clients: its database", ("provision.clients.database",)),
    ("provision.training", ("provision.training.*",)),
    ("provision.books", ("provision.books.*",)),
    ("provision.console", ("provision.console.*",)),
    ("provision.cli", ("provision.cli.*",)),
)
SEED_PIECES = 0  # the index of the one seed layer that provision's lowest layers may use
KNOWS_NO_BOOKS = ("provision", "provision.errors", "provision.inputs", "provision.docker.*")


def _modules(packages: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules(PACKAGES)
SIZED_MODULES = _modules(SIZED)


def _matches(name: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        package = pattern[:-2]
        return name == package or name.startswith(package + ".")
    return name == pattern


def layer_of(name: str) -> int:
    """The index of the module's layer in LAYERS (a module in none of them is a test failure of its own)."""
    found = [i for i, (_, patterns) in enumerate(LAYERS) for p in patterns if _matches(name, p)]
    if len(found) != 1:
        raise LookupError(f"{name} is in {len(found)} layers of LAYERS, not one")
    return found[0]


def _imported(name: str, path: Path, known: dict[str, Path] = MODULES) -> set[str]:
    """The modules of `known` a module imports anywhere in its text: at the top, in a function, under a guard."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # `from seed import errors` imports the module seed.errors; `from seed.x import name`, seed.x
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {t for t in targets if t in known and t != name}


def _imported_roots(path: Path) -> set[str]:
    """The top-level names a file imports anywhere in its text (`tests`, `harness`, `provision`, ...)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


GRAPH = {name: _imported(name, path) for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as the list of modules around it, or [] when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_layering() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_in_provision_and_seed() -> None:
    assert "provision.clients.lifecycle" in GRAPH["provision.clients.database"]  # the graph sees what it should
    cycle = _cycle(GRAPH)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_every_module_is_in_one_layer() -> None:
    assert layer_of("provision.docker.engine") < layer_of("provision.clients.render") < layer_of("provision.cli")
    assert layer_of("seed.legacy.analyze.short") < layer_of("provision") == layer_of("provision.errors")
    unplaced = []
    for name in MODULES:
        try:
            layer_of(name)
        except LookupError as e:
            unplaced.append(str(e))
    assert not unplaced, "add to LAYERS in tests/test_structure.py:\n" + "\n".join(unplaced)


def test_imports_go_only_downward_between_layers() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert not upward, "imports upward:\n" + "\n".join(upward)


def test_docker_and_the_root_know_no_books() -> None:
    """Docker, compose and images are about containers: of seed they use the pieces (errors, files), never
    the books (synthetic, registries, the customer's export)."""
    books = [
        f"{name} imports {target}"
        for name, targets in sorted(GRAPH.items())
        if any(_matches(name, p) for p in KNOWS_NO_BOOKS)
        for target in sorted(targets)
        if target.startswith("seed") and layer_of(target) != SEED_PIECES
    ]
    assert not books, "\n".join(books)


def test_seed_imports_nothing_of_provision() -> None:
    assert not [f"{n} imports {t}" for n, ts in GRAPH.items() if n.startswith("seed") for t in ts if t[:4] == "prov"]


def test_benchmarks_and_the_harness_never_import_the_tests() -> None:
    """What tests and benchmarks both start (an SSH server, a second engine) lives in harness/; the library
    imports neither of them."""
    wrong = []
    for name, path in SIZED_MODULES.items():
        root = name.partition(".")[0]
        forbidden = {"benchmarks": {"tests"}, "harness": {"tests", "benchmarks"}}.get(root, set())
        if root in PACKAGES:
            forbidden = {"tests", "benchmarks", "harness"}
        if hits := _imported_roots(path) & forbidden:
            wrong.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(hits))}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(SIZED_MODULES))
def test_modules_and_classes_stay_small(name: str) -> None:
    path = SIZED_MODULES[name]
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)}: {lines} lines (at most {MAX_MODULE_LINES})"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{path.relative_to(ROOT)}: class {node.name} is {size} lines"
