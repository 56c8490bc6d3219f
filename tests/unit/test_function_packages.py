"""Each function's package holds the libraries its code imports, and only those (issue #22).

A library missing from a function's package fails on AWS the first time the code that imports it runs;
locally the functions run on the dev virtualenv, which has them all. A library a package ships and its
functions never import is deployed size for nothing (stripe with its dependencies is ~15 MB unzipped).

What a function has: its CodeUri's requirements.txt, its layers' and what the Lambda runtime provides, each
with their own dependencies (local/packages.py, which the local runtime's workers also enforce). What it
imports is read from the code (tests.imports): every library its init imports must be there; every library
its package ships must be imported somewhere in the code it can reach (imports inside functions included).
The reading reaches whole modules, so it cannot tell that a function never runs the one code path of a module
that loads a library on first use (the NDA service and its PDF rendering); that direction is checked where
the code runs, in the workers, which can import only what the deployed function has.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from local.model import function_layer_dirs
from local.packages import canonical, deployed, providers, requirements, shipped_in, with_dependencies
from local.template import load_template
from tests.imports import ROOT, functions, reached

FUNCTIONS = functions()
TEMPLATE = load_template()


def imported_distributions(modules: set[str], own_dirs: list[Path]) -> set[str]:
    """The installed distributions that provide `modules`: not the standard library, nor what the package or
    a layer holds as code of its own; a module nothing provides is reported as itself."""
    found = set()
    for module in modules:
        top = module.split(".")[0]
        if top in sys.stdlib_module_names:
            continue
        if shipped_in(own_dirs, top):
            continue
        found |= {canonical(d) for d in providers().get(top, [top])}
    return found


def test_the_reader_counts_imports_inside_functions_and_by_name():
    billing = ROOT / "layers/pitchey/python/pitchey/payments/billing.py"
    assert "stripe" in reached(billing, anywhere=True)[1]
    assert "stripe" not in reached(billing)[1]
    assert "openapi_ui_bundles" in reached(ROOT / "functions/apidocs/explorer/explorer.py")[1]
    assert imported_distributions(
        {"stripe", "fpdf.enums", "json", "pitchey.core"}, [ROOT / "layers/pitchey/python"]
    ) == {
        "stripe",
        "fpdf2",
    }


@pytest.mark.parametrize(("function", "path", "methods"), FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_a_function_ships_what_its_init_imports_and_nothing_it_never_imports(function, path, methods):
    code_dir, layers = path.parent, function_layer_dirs(TEMPLATE, ROOT, function)
    own = requirements(code_dir / "requirements.txt")
    at_init = imported_distributions(reached(path)[1], [code_dir, *layers])
    anywhere = imported_distributions(reached(path, anywhere=True)[1], [code_dir, *layers])
    missing = sorted(at_init - deployed(code_dir, layers))
    unused = sorted(own - with_dependencies(anywhere))
    assert not missing, f"{function} imports libraries its package does not ship: {missing}"
    assert not unused, f"{function} ships libraries it never imports: {unused}"
