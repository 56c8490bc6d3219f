"""Reads what a function imports from its code (the handler and, through it, every layer module it reaches),
for the tests that keep heavy libraries out of cold starts and keep each package's libraries right.

Two readings: at init (module-level statements only: class bodies, try and if blocks included, `if
TYPE_CHECKING:` blocks not), and anywhere (imports inside functions too, where a library is loaded on first
use). Both follow `pitchey` modules transitively; any other module is reported as named in the statement.
`importlib.import_module("name")` and `importlib.util.find_spec("name")` with a literal name count too.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from local.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "pitchey" / "python"


def _module_file(name: str) -> Path | None:
    base = LAYER.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def statement_imports(tree: ast.Module, *, anywhere: bool = False) -> list[str]:
    """Every module the statements import: at init, or (anywhere) also inside functions."""
    names: list[str] = []
    nested: tuple[type, ...] = (ast.ClassDef, ast.With, ast.For, ast.While)
    if anywhere:
        nested += (ast.FunctionDef, ast.AsyncFunctionDef)

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
                names.extend(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, nested):
                visit(node.body)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr | ast.Return):
                names.extend(_named_in_calls(node))

    visit(tree.body)
    return names


def _named_in_calls(node: ast.stmt) -> list[str]:
    """Modules named by literal in import_module(...) or find_spec(...) calls within a statement."""
    found = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.args:
            first = call.args[0]
            if call.func.attr in ("import_module", "find_spec") and isinstance(first, ast.Constant):
                found.append(str(first.value))
    return found


@functools.cache
def _imports_of(path: Path, anywhere: bool) -> tuple[tuple[Path, ...], frozenset[str]]:
    """(layer modules, other modules) the file imports."""
    layer, other = [], set()
    for name in statement_imports(ast.parse(path.read_text()), anywhere=anywhere):
        if name.split(".")[0] == "pitchey":
            parts = name.split(".")
            # `import a.b.c` runs a, a.b and a.b.c; `from a.b import c` may name a module or a value
            layer += [f for i in range(1, len(parts) + 1) if (f := _module_file(".".join(parts[:i])))]
        elif name != "__future__":
            other.add(name)
    return tuple(layer), frozenset(other)


def reached(handler_file: Path, *, anywhere: bool = False) -> tuple[set[Path], set[str]]:
    """(layer files, non-layer modules as named in import statements) a handler imports, transitively
    through the layer: at init, or (anywhere) whenever any of its code runs."""
    seen: set[Path] = set()
    found: set[str] = set()
    todo = [handler_file]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        layer, other = _imports_of(path, anywhere)
        todo += layer
        found |= other
    return seen, found


def init_imports(handler_file: Path) -> set[str]:
    return reached(handler_file)[1]


def loads(found: set[str], package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in found)


def functions() -> list[tuple[str, Path, set[str]]]:
    """(function, handler file, HTTP methods of its routes) for every function of the template."""
    rows = []
    for name, resource in sorted(resources_of_type(load_template(), "AWS::Serverless::Function").items()):
        props = resource["Properties"]
        if "Handler" not in props or "CodeUri" not in props:
            continue
        path = ROOT / props["CodeUri"] / (props["Handler"].split(".")[0] + ".py")
        methods = {
            (event["Properties"].get("Method") or "ANY").upper()
            for event in (props.get("Events") or {}).values()
            if event["Type"] == "HttpApi"
        }
        rows.append((name, path, methods))
    return rows
