"""Heavy libraries stay out of the init (cold start) of functions that do not need them (issue #22).

What a function's init imports is read from the code: the module-level imports of its handler and, through
them, of every layer module they reach (not those inside functions, nor `if TYPE_CHECKING:` blocks), so
this is cheap enough to check every function of the template. One fresh interpreter checks that what the
layer imports at module level does not pull them in either.

Their cost at init (python -X importtime): pydantic with the request-body models ~60-90 ms, PyJWT ~80 ms
(it imports cryptography where that is installed), against a baseline (boto3 + a DynamoDB client + one
call) of ~240 ms; docs/performance.md has the figures.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.imports import LAYER, ROOT, functions, init_imports, loads, reached, statement_imports

# Loaded where they are used, never at init: a token is issued or decoded (auth.tokens), a password hashed
# or checked (auth.passwords), a PDF rendered (fpdf2 and Pillow ship only with the two PDF functions), an
# `Idempotency-Key` sent (core.http).
NEVER_AT_INIT = ("jwt", "bcrypt", "fpdf", "PIL", "aws_lambda_powertools.utilities.idempotency")
# pydantic validates request bodies; a function without one (GET routes) does not load it.
BODY_ONLY = "pydantic"


FUNCTIONS = functions()


def test_the_import_reader_sees_what_a_module_imports():
    # the reader itself: a layer module known to load pynamodb and pydantic at init, one that must not
    assert loads(init_imports(LAYER / "pitchey" / "core" / "schemas.py"), "pydantic")
    assert loads(init_imports(LAYER / "pitchey" / "core" / "db.py"), "pynamodb")
    assert not loads(init_imports(LAYER / "pitchey" / "auth" / "tokens.py"), "jwt")
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import heavy\ndef f():\n    import lazy\n"
    )
    assert statement_imports(tree) == ["typing", "typing.TYPE_CHECKING"]


@pytest.mark.parametrize(("function", "path", "methods"), FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_heavy_libraries_load_only_where_they_are_used(function, path, methods):
    found = init_imports(path)
    assert not [package for package in NEVER_AT_INIT if loads(found, package)], function
    if methods and methods <= {"GET"}:
        assert not loads(found, BODY_ONLY), f"{function} (GET only) imports pydantic at init"


# The admin's reads list users, reports and the audit log: the services moderation, reports, featuring and
# broadcasts use are imported where those do (~10 % of the reads' cold start, bench coldstart_request).
ADMIN_READS = ("users.py", "reports.py", "audit.py")
OTHER_CONTEXTS = ("pitches", "messages", "notifications", "realtime", "auth")


@pytest.mark.parametrize("handler", ADMIN_READS)
def test_the_admin_reads_do_not_load_the_other_contexts_services(handler):
    layer, _ = reached(ROOT / "functions" / "admin" / handler)
    services = {LAYER / "pitchey" / context / "service.py" for context in OTHER_CONTEXTS}
    assert not sorted(str(path.relative_to(LAYER)) for path in layer & services)


# bcrypt is left out of the live check: here botocore imports it through urllib3's optional pyOpenSSL
# support (pyOpenSSL → cryptography → bcrypt), which this virtualenv has for moto and Lambda's runtime lacks.
LIVE = tuple(m for m in (*NEVER_AT_INIT, BODY_ONLY) if m != "bcrypt")


def test_a_fresh_process_importing_read_handlers_loads_none_of_them():
    """What the layer's libraries import in turn (pynamodb, Powertools) is not in the AST: check it live."""
    code = (
        "import sys, importlib.util\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location('h' + str(len(sys.modules)), path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"heavy = [m for m in {LIVE!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    handlers = [ROOT / "functions" / f for f in ("pitches/get.py", "auth/me.py", "notifications/list.py")]
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, handlers)],
        cwd=ROOT,
        env={"PYTHONPATH": str(LAYER), "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == ""
