"""The import path a deployed function has, for benches that time a fresh process.

On Lambda a function sees its own package (its code and its own requirements, as `sam build` installs them),
then its layers (/opt/python: the shared layer's dependencies and, for the PDF functions, the fonts), then
the runtime's SDK (boto3, botocore and theirs). The project's virtualenv holds more: aws-sam-cli and moto
bring awscrt and pyOpenSSL, which botocore imports whenever they are installed, and cryptography, which
PyJWT uses when present. A bench run on the virtualenv's site-packages would time ~90 ms of imports no
deployed function makes, in the baseline and the functions alike.

So the benches run `python -S` (no site-packages) on `pythonpath(...)`: the layer's dependencies built by
its own Makefile (what `sam build` runs) for this machine, each function's requirements installed the way
sam's pip builder does, and the SDK linked from the virtualenv's pinned copies. Built once into
.aws-sam/bench-site/<hash of the requirements and the layer's Makefile> (a minute, mostly downloads); the
`pitchey` package itself is always the working tree's.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = ROOT / "layers" / "pitchey"
LAYER = LAYER_SOURCE / "python"
FONTS = ROOT / "layers" / "fonts" / "python"
CACHE = ROOT / ".aws-sam" / "bench-site"  # next to sam build's own output, ignored alike
# What the Lambda python3.11 runtime provides (tests/unit/test_layer_build.py's list).
SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _requirements() -> list[Path]:
    return sorted(ROOT.glob("functions/**/requirements.txt"))


def _key() -> str:
    digest = hashlib.sha256()
    for path in [LAYER_SOURCE / "Makefile", LAYER_SOURCE / "requirements.txt", *_requirements()]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _build(target: Path, command: list[str]) -> None:
    """Runs `command` (its "{dir}" the directory to fill) into a scratch directory, then moves it to
    `target`: an interrupted build is never taken for a finished one."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([part.replace("{dir}", str(partial)) for part in command], check=True, timeout=900)
    partial.rename(target)


@functools.cache
def template() -> dict[str, Any]:
    """template.yaml as the local runtime reads it (~0.6 s to parse: once per bench run)."""
    from local.template import load_template

    return load_template()


@functools.cache
def site() -> Path:
    """The built directory (made on first use): layer/python, functions/<CodeUri>, sdk."""
    here = CACHE / _key()
    if not (here / "layer").exists():
        make = ["make", "-s", "-C", str(LAYER_SOURCE), "build-PitcheyLayer", "ARTIFACTS_DIR={dir}"]
        _build(here / "layer", [*make, "WHEEL_PLATFORM=--only-binary=:all:"])
        shutil.rmtree(here / "layer" / "python" / "pitchey")  # the working tree's is used
    for requirements in _requirements():
        target = here / "functions" / requirements.parent.relative_to(ROOT / "functions")
        if not target.exists():
            pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            _build(target, [*pip, "-r", str(requirements), "-t", "{dir}"])
    sdk = here / "sdk"
    if not sdk.exists():
        import botocore

        packages = Path(botocore.__file__).parent.parent
        sdk.mkdir()
        for name in SDK:
            (sdk / name).symlink_to(packages / name)
    return here


def pythonpath(code_dir: Path | None, fonts: bool = False) -> str:
    """PYTHONPATH, in Lambda's order, for a function whose CodeUri is `code_dir`; None: the SDK alone (a
    process that only uses boto3, the benches' baseline)."""
    here = site()
    entries = []
    if code_dir is not None:
        entries.append(code_dir)
        if (code_dir / "requirements.txt").is_file():  # sam build installs it into the function's package
            entries.append(here / "functions" / code_dir.relative_to(ROOT / "functions"))
        entries += [LAYER, here / "layer" / "python"]
        if fonts:
            entries.append(FONTS)
    entries.append(here / "sdk")
    return os.pathsep.join(str(entry) for entry in entries)


def function_pythonpath(function: str) -> str:
    """`pythonpath` for a function of template.yaml, by its logical id (its CodeUri and layers)."""
    props = template()["Resources"][function]["Properties"]
    fonts = {"Ref": "PdfFontsLayer"} in props.get("Layers", [])  # after the shared layer, as SAM appends
    return pythonpath(ROOT / props["CodeUri"], fonts=fonts)
