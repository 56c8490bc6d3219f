"""tools/iac.py as a module (tools/ is scripts, not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "iac", Path(__file__).resolve().parents[2] / "tools" / "iac.py"
)
iac = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(iac)
