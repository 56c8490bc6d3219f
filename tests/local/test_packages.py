"""local/packages.py: a worker can import what its deployed function has, and nothing else installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.packages import PackageGuard, deployed, requirements

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "pitchey" / "python"
PITCHES = ROOT / "functions" / "pitches"


def test_requirements_are_read_as_distribution_names(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# pins\nfpdf2==2.8.9  # PDFs\nPillow>=10\npynamodb[signals]==6.1.0\n\n-r other.txt\n")
    assert requirements(path) == {"fpdf2", "pillow", "pynamodb"}
    assert requirements(tmp_path / "missing.txt") == set()


def test_a_function_has_its_layers_libraries_their_dependencies_and_the_sdk() -> None:
    have = deployed(PITCHES, [LAYER])
    assert {"pynamodb", "pydantic", "pydantic-core", "aws-lambda-powertools", "boto3", "botocore"} <= have
    assert not {"stripe", "moto", "pyyaml", "fpdf2"} & have


def test_the_guard_refuses_only_installed_libraries_the_package_lacks(tmp_path: Path) -> None:
    guard = PackageGuard(PITCHES, [LAYER])
    with pytest.raises(ModuleNotFoundError, match="does not ship stripe") as error:
        guard.find_spec("stripe")
    assert error.value.name == "stripe"
    assert str(PITCHES / "requirements.txt") in str(error.value)
    for allowed in ("pynamodb", "botocore", "json", "pitchey", "no_such_module_anywhere"):
        assert guard.find_spec(allowed) is None, allowed
    assert guard.find_spec("stripe", path=["/somewhere"]) is None  # submodules are their package's business
    (tmp_path / "yaml").mkdir()  # a copy shipped in the package itself
    assert PackageGuard(tmp_path, []).find_spec("yaml") is None
