"""Imports point down: pitchey.core ← contexts ← functions (docs/architecture.md, "Layers").

Read from the source (every import, also those inside functions), never by importing it:
- `pitchey.core` imports no context.
- A context imports another context only through its public modules:
  `service` (behaviour), and the data modules `models` (items a transaction writes next to its own, rows a
  read model joins) and `schemas` (shared field types and views). A data module's imports never reach
  another context's behaviour, so importing one can never close a cycle between contexts.
  Exceptions, each with its reason, are in EXCEPTIONS.
- No import cycles: between contexts (counting every import but those of data modules), nor between
  modules.
- Functions (handlers) import the layer, never another function.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "pitchey" / "python"
PACKAGE = LAYER / "pitchey"
FUNCTIONS = ROOT / "functions"

PUBLIC = {"service"}
DATA = {"models", "schemas"}
EXCEPTIONS = {
    # Who is calling: AuthUser and the token/live-session checks every entry point needs (HTTP via
    # pitchey.auth.http, WebSocket $connect and messages in realtime).
    "pitchey.auth.context": "the caller's identity",
    # Read-only questions about their own tables, kept out of their service modules so that the pitches
    # functions do not load the NDA workflow or the investment lifecycle (cold start). They count as data
    # modules: their imports never reach another context's behaviour.
    "pitchey.ndas.access": "has a user signed the NDA for a pitch",
    "pitchey.investments.queries": "does a pitch have open investments",
}
READ_ONLY = set(EXCEPTIONS) - {"pitchey.auth.context"}


def module_name(path: Path) -> str:
    parts = path.relative_to(LAYER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every pitchey module `path` imports (`from pitchey.x import y` counts pitchey.x.y if it is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "pitchey" and name in MODULES}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def is_data(module: str) -> bool:
    return module.split(".")[-1] in DATA or module in READ_ONLY


def cross_context_imports() -> list[tuple[str, str]]:
    return [
        (source, target)
        for source, targets in GRAPH.items()
        for target in targets
        if context_of(source) not in (None, "core")
        and context_of(target) not in (None, "core", context_of(source))
        and len(target.split(".")) > 2  # a context package itself (pitchey.x) is only its __init__
    ]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read():
    assert "pitchey.core.http" in GRAPH and "pitchey.pitches.service" in GRAPH["pitchey.follows.service"]


def test_core_imports_no_context():
    wrong = {
        (source, target)
        for source, targets in GRAPH.items()
        if context_of(source) == "core"
        for target in targets
        if context_of(target) not in (None, "core")
    }
    assert not wrong, wrong


def test_contexts_use_only_public_modules_of_each_other():
    wrong = [
        (source, target)
        for source, target in cross_context_imports()
        if target.split(".")[-1] not in PUBLIC | DATA and target not in EXCEPTIONS
    ]
    assert not wrong, wrong


def test_data_modules_reach_no_other_contexts_behaviour():
    """Following a data module's imports never leads to another context's non-data module."""
    wrong = []
    for source in GRAPH:
        if context_of(source) in (None, "core") or not is_data(source):
            continue
        seen, todo = set(), [source]
        while todo:
            for target in GRAPH[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
                if context_of(target) not in (None, "core", context_of(source)) and not is_data(target):
                    wrong.append((source, target))
    assert not wrong, wrong


def test_no_cycles_between_contexts():
    contexts: dict[str, set[str]] = {}
    for source, target in cross_context_imports():
        if not is_data(target):
            contexts.setdefault(context_of(source), set()).add(context_of(target))
    assert find_cycle(contexts) is None, find_cycle(contexts)


def test_no_cycles_between_modules():
    assert find_cycle(GRAPH) is None, find_cycle(GRAPH)


def test_functions_import_the_layer_not_each_other():
    for path in FUNCTIONS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.level == 0, path
                top = node.module.split(".")[0]
                assert top == "pitchey" or top not in {"functions", "local", "tests"}, (path, node.module)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
