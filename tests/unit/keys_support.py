"""Which functions use which secret (pitchey.core.keys), derived from the code: a static call graph.

Every module of the layer and every handler is parsed; a function (or class, or module-level constant)
points at every definition it names, called or passed on (callbacks and step tables count), through the
module's imports. A definition uses a secret when it calls `keys.current(keys.X)`, `keys.verifying(...)`, ...
A handler needs the secrets reachable from its module.

One rule comes from the template, not the code: `pitchey.auth.http.api` is opaque. Routes with
auth="required" get the caller from the Lambda authorizer's context (API Gateway runs the authorizer
first), so only auth="optional" routes decode a bearer token themselves and need the JWT key.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "pitchey" / "python"
KEYS_MODULE = "pitchey.core.keys"
KEY_READERS = {"current", "accepted", "previous", "verifying"}
OPAQUE = {("pitchey.auth.http", "api")}
Ref = tuple[str, str]  # (module, definition): "f", "Class", "Class.method", "CONSTANT"


@dataclass
class Module:
    name: str
    tree: ast.Module
    defs: dict[str, ast.AST] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> "module" or "module:attr"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LAYER).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(LAYER.rglob("*.py")):
        name = _module_name(path)
        modules[name] = _parse(name, path.read_text())
    return modules


def _parse(name: str, source: str) -> Module:
    module = Module(name, ast.parse(source))
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            module.defs[node.name] = node
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.defs[f"{node.name}.{item.name}"] = item
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    module.defs[target.id] = node
    for node in ast.walk(module.tree):  # imports anywhere, including the lazy ones inside functions
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imports[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join([*name.split(".")[: -node.level], node.module])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                target = full if full in _module_names() else f"{base}:{alias.name}"
                module.imports[alias.asname or alias.name] = target
    return module


@functools.cache
def _module_names() -> frozenset[str]:
    return frozenset(_module_name(path) for path in LAYER.rglob("*.py"))


def _resolve(module: Module, name: str, attr: str | None) -> Ref | None:
    if name in module.defs:
        if attr and f"{name}.{attr}" in module.defs:
            return module.name, f"{name}.{attr}"
        return module.name, name
    target = module.imports.get(name)
    if target is None:
        return None
    if ":" in target:
        mod, definition = target.split(":")
        return (mod, f"{definition}.{attr}") if attr else (mod, definition)
    return (target, attr) if attr else None


@functools.cache
def secret_names() -> frozenset[str]:
    """The keys.Secret constants: JWT, LINKS, ..."""
    keys = _modules()[KEYS_MODULE]
    return frozenset(
        name
        for name, node in keys.defs.items()
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "Secret"
    )


def _secret_argument(call: ast.Call) -> str | None:
    arg = call.args[0] if call.args else None
    name = arg.attr if isinstance(arg, ast.Attribute) else arg.id if isinstance(arg, ast.Name) else None
    return name if name in secret_names() else None  # keys' own helpers pass a variable


def _edges(module: Module, node: ast.AST, owner_class: str | None) -> tuple[set[Ref], set[str]]:
    refs: set[Ref] = set()
    secrets: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            target = _callee(module, child.func, owner_class)
            if target and target[0] == KEYS_MODULE and target[1] in KEY_READERS:
                secret = _secret_argument(child)
                if secret:
                    secrets.add(secret)
        if isinstance(child, ast.Name):
            ref = _resolve(module, child.id, None)
            if ref:
                refs.add(ref)
        elif isinstance(child, ast.Attribute):
            ref = _callee(module, child, owner_class)
            if ref:
                refs.add(ref)
    return refs, secrets


def _callee(module: Module, func: ast.AST, owner_class: str | None) -> Ref | None:
    if isinstance(func, ast.Name):
        return _resolve(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in ("self", "cls") and owner_class:
            return module.name, f"{owner_class}.{func.attr}"
        return _resolve(module, func.value.id, func.attr)
    return None


@functools.cache
def _graph() -> dict[Ref, tuple[frozenset[Ref], frozenset[str]]]:
    graph = {}
    for module in _modules().values():
        for name, node in module.defs.items():
            owner = name.split(".")[0] if isinstance(node, ast.FunctionDef) and "." in name else None
            if isinstance(node, ast.ClassDef):
                owner = name
            refs, secrets = _edges(module, node, owner)
            graph[(module.name, name)] = (frozenset(refs), frozenset(secrets))
    return graph


def _reachable_secrets(start: set[Ref]) -> set[str]:
    graph = _graph()
    seen: set[Ref] = set()
    todo = list(start)
    secrets: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen or ref in OPAQUE:
            continue
        seen.add(ref)
        if ref not in graph and "." in ref[1]:  # Class.method we could not see: the class itself
            ref = (ref[0], ref[1].split(".")[0])
        if ref not in graph and ref[0] in _modules():  # a re-export (`from x import f as f`): follow it
            head, _, attr = ref[1].partition(".")
            target = _resolve(_modules()[ref[0]], head, attr or None)
            if target and target != ref:
                todo.append(target)
                continue
        refs, uses = graph.get(ref, (frozenset(), frozenset()))
        secrets |= uses
        todo.extend(refs)
    return secrets


def handler_secrets(handler_file: Path) -> set[str]:
    """The names of the keys.Secret constants (JWT, LINKS, ...) that a handler module can reach."""
    module = _parse(f"handler:{handler_file}", handler_file.read_text())
    refs, secrets = _edges(module, module.tree, None)
    secrets = set(secrets) | _reachable_secrets({r for r in refs if not r[0].startswith("handler:")})
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and _callee(module, node.func, None) == ("pitchey.auth.http", "api"):
            modes = [k.value for k in node.keywords if k.arg == "auth" and isinstance(k.value, ast.Constant)]
            if modes and modes[0].value == "optional":
                secrets |= _reachable_secrets({("pitchey.auth.context", "user_from_token")})
    return secrets
