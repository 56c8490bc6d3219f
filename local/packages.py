"""What a deployed function can import, enforced in the local runtime's workers.

On AWS a function has its package (its CodeUri with its requirements.txt installed, as `sam build` does), its
layers (each ContentUri's requirements) and the SDK of Lambda's Python runtime. A worker here runs on the
dev virtualenv, which holds every function's libraries and the tools' as well, so a library missing from a
function's requirements.txt would go unnoticed until the first deployed request that imports it.
`PackageGuard` makes such an import fail in the worker as it fails on AWS (`No module named ...`), saying
which requirements.txt lacks it; an optional import a library guards (botocore's awscrt) falls back as it
does there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from importlib import machinery, metadata
from importlib.abc import MetaPathFinder
from pathlib import Path
from types import ModuleType

# What Lambda's python3.x runtimes provide in /var/runtime, as distributions.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_of(requirement: str) -> str:
    return canonical(re.split(r"[\s=<>!~\[;(]", requirement.strip())[0])


def requirements(path: Path) -> set[str]:
    """The distributions a requirements file names (none when there is no file)."""
    if not path.is_file():
        return set()
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {_name_of(line) for line in lines if line and not line.startswith("-")}


@functools.cache
def _installed() -> dict[str, frozenset[str]]:
    """Every installed distribution and what it requires (extras left out). Read once (~0.1 s): the zygote
    reads it before it forks, so workers inherit it."""
    found: dict[str, frozenset[str]] = {}
    for dist in metadata.distributions():
        needs = (r for r in dist.requires or [] if "extra ==" not in r)
        found.setdefault(canonical(dist.metadata["Name"]), frozenset(map(_name_of, needs)))
    return found


@functools.cache
def providers() -> dict[str, list[str]]:
    """Top-level module → the installed distributions that provide it."""
    return metadata.packages_distributions()


def preload() -> None:
    _installed()
    providers()


def with_dependencies(names: Iterable[str]) -> set[str]:
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += _installed().get(name, ())
    return found


def deployed(code_dir: Path, layer_dirs: Sequence[Path]) -> set[str]:
    """The distributions a function has on AWS: its requirements, its layers' (a layer's `python/` lies in
    its ContentUri, next to the requirements.txt it is built from) and the runtime's SDK."""
    names = requirements(code_dir / "requirements.txt") | set(RUNTIME_SDK)
    for layer in layer_dirs:
        names |= requirements(layer.parent / "requirements.txt")
    return with_dependencies(names)


def shipped_in(dirs: Iterable[Path], module: str) -> bool:
    """A top-level module that one of `dirs` (a package, a layer's python/) holds as its own code."""
    return any((d / module).is_dir() or (d / f"{module}.py").is_file() for d in dirs)


class PackageGuard(MetaPathFinder):
    """A top-level import of an installed library the function's package does not have raises
    ModuleNotFoundError. The standard library, the function's own code and layers, and modules imported
    before the guard (the zygote's preloads, all within the layer's libraries) are not its concern."""

    def __init__(self, code_dir: Path, layer_dirs: Sequence[Path]) -> None:
        self.code_dir = code_dir
        self.own_dirs = [code_dir, *layer_dirs]
        self.allowed = deployed(code_dir, layer_dirs)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> machinery.ModuleSpec | None:
        if path is not None:
            return None  # a submodule: its package got past this already
        names = providers().get(fullname)
        if not names or any(canonical(name) in self.allowed for name in names):
            return None
        if shipped_in(self.own_dirs, fullname):
            return None  # shipped in the package or a layer itself
        raise ModuleNotFoundError(
            f"No module named '{fullname}': this function's package does not ship {names[0]} "
            f"(add it to {self.code_dir / 'requirements.txt'})",
            name=fullname,
        )
