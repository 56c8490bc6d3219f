"""The shared layer as built by layers/pitchey/Makefile (what `sam build` runs): within Lambda's 25 MB
unzipped, without its own boto3/botocore, and importable against the SDK alone, as the runtime provides it.

Built once for the host platform (WHEEL_PLATFORM=; the deployed build resolves the same requirements for
arm64, and the Makefile itself fails a build over the limit)."""

from __future__ import annotations

import email
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 25 * 1024 * 1024
# The Lambda python3.11 runtime's SDK has been 1.34 or newer since 2024 (docs/decisions.md); no layer
# dependency may require a newer botocore than that floor.
RUNTIME_BOTOCORE_FLOOR = (1, 34, 0)
SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")  # /var/runtime's


def _build(out: Path) -> Path:
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "pitchey"),
            "build-PitcheyLayer",
            f"ARTIFACTS_DIR={out}",
            "WHEEL_PLATFORM=--only-binary=:all:",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_the_built_layer(tmp_path: Path) -> None:
    """One build (a minute, mostly downloads), three checks."""
    layer = _build(tmp_path / "layer")
    check_size_and_contents(layer)
    check_botocore_requirements(layer)
    check_imports_against_the_sdk_alone(layer, tmp_path)


def check_size_and_contents(layer: Path) -> None:
    assert _size(layer) <= LIMIT, f"{_size(layer) / 2**20:.1f} MB"
    python = layer / "python"
    assert (python / "pitchey" / "core" / "db.py").is_file()
    for name in ("boto3", "botocore", "s3transfer"):
        assert not (python / name).exists(), name
        assert not list(python.glob(f"{name}-*.dist-info")), name
    assert not list(layer.rglob("*.ttf"))  # PdfFontsLayer's, only where PDFs are rendered


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_botocore_requirements(layer: Path) -> None:
    """No dependency needs a newer botocore than the runtime has."""
    needs = []
    for metadata in (layer / "python").glob("*.dist-info/METADATA"):
        for requirement in email.message_from_string(metadata.read_text()).get_all("Requires-Dist") or []:
            match = re.match(r"(boto3|botocore)\s*\(?\s*>=\s*([\d.]+)", requirement)
            if match and "extra ==" not in requirement:
                needs.append((metadata.parent.name, requirement))
                assert _version(match.group(2)) <= RUNTIME_BOTOCORE_FLOOR, requirement
    assert needs  # pynamodb requires botocore: the check above looked at it


def check_imports_against_the_sdk_alone(layer: Path, tmp_path: Path) -> None:
    """As on Lambda: /opt/python (the layer), then /var/runtime (the SDK; here the pinned one), only."""
    import botocore

    site = Path(botocore.__file__).parent.parent
    runtime = tmp_path / "var-runtime"
    runtime.mkdir()
    for name in SDK:
        (runtime / name).symlink_to(site / name)
    code = f"""
import importlib, pkgutil, sys
sys.path[:0] = [{str(layer / "python")!r}, {str(runtime)!r}, {str(ROOT / "layers" / "fonts" / "python")!r}]
import pitchey
skipped = (".pdf",)  # fpdf2 is in the document functions' own packages
for info in pkgutil.walk_packages(pitchey.__path__, "pitchey."):
    if not info.name.endswith(skipped):
        importlib.import_module(info.name)
import botocore, pynamodb, aws_lambda_powertools.utilities.parameters
assert botocore.__file__.startswith({str(runtime)!r}), botocore.__file__
print(len([m for m in sys.modules if m.startswith("pitchey.")]))
"""
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) > 100
