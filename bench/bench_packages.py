"""What each deployed package weighs unzipped: the shared layer, the fonts layer, and every function's
package (its CodeUri's files plus the requirements sam installs into it). Built as bench.lambda_site builds
them for the cold-start benches (the layer by its own Makefile, each requirements.txt by pip), for this
machine's platform. Target: the layer <= 25 MB (Lambda allows 250 MB for a function and all its layers
together). That no function ships a library it does not import is a test
(tests/unit/test_function_packages.py); here each package's own libraries are listed beside its size.
"""

from __future__ import annotations

from pathlib import Path

from bench import lambda_site
from local.template import resources_of_type

LAYER_TARGET_MB = 25.0
MB = 1024 * 1024


def _size(path: Path) -> int:
    """Bytes of the files under `path` (byte-code caches left out: sam build does not package them)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def _libraries(installed: Path) -> list[str]:
    return sorted(d.name.split("-")[0] for d in installed.glob("*.dist-info"))


def run() -> list[dict]:
    site = lambda_site.site()
    layer_libraries, pitchey = _size(site / "layer"), _size(lambda_site.LAYER / "pitchey")
    layer = layer_libraries + pitchey
    verdict = "ok" if layer / MB <= LAYER_TARGET_MB else f"OVER the {LAYER_TARGET_MB:.0f} MB target"
    rows = [
        {
            "metric": "PitcheyLayer unzipped",
            "value": layer / MB,
            "unit": "MB",
            "note": f"{verdict}: its libraries {layer_libraries / MB:.1f} MB, pitchey {pitchey / MB:.1f} MB",
        },
        {"metric": "PdfFontsLayer unzipped", "value": _size(lambda_site.FONTS) / MB, "unit": "MB"},
    ]
    packages: dict[str, list[str]] = {}
    for name, resource in resources_of_type(lambda_site.template(), "AWS::Serverless::Function").items():
        packages.setdefault(resource["Properties"]["CodeUri"].rstrip("/"), []).append(name)
    for code_uri, names in sorted(packages.items()):
        code_dir = lambda_site.ROOT / code_uri
        installed = site / "functions" / code_dir.relative_to(lambda_site.ROOT / "functions")
        shipped = installed.is_dir() and (code_dir / "requirements.txt").is_file()
        size = _size(code_dir) + (_size(installed) if shipped else 0)
        libraries = ", ".join(_libraries(installed)) if shipped else "none"
        note = f"{len(names)} function(s); its own libraries: {libraries}"
        metric = f"{code_uri}/ package unzipped"
        rows.append({"metric": metric, "value": size / MB, "unit": "MB", "note": note})
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
