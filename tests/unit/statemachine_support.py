"""Shared checks for a lifecycle's state machine and its functions (NDA, investments): the ASL with the
template's DefinitionSubstitutions applied, the machine created in moto, and the function rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]


def substitute(asl_path: Path, values: dict[str, str]) -> str:
    """The definition as CloudFormation would deploy it: `${Name}` replaced textually."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], asl_path.read_text())


def create_machine(name: str, definition: str, env_var: str, setenv: Any) -> str:
    """The state machine in moto (which records executions and accepts SendTaskSuccess); its ARN is put in
    `env_var` as the template's Environment does."""
    arn = boto3.client("stepfunctions").create_state_machine(
        name=name,
        definition=definition,
        roleArn=f"arn:aws:iam::123456789012:role/{name}",
        type="STANDARD",
    )["stateMachineArn"]
    setenv(env_var, arn)  # the `setenv` fixture: the settings read it
    return arn


def functions_under(resources: dict[str, Any], code_prefix: str) -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function" and res["Properties"]["CodeUri"].startswith(code_prefix)
    }


def assert_code_events_and_pipeline(functions: dict[str, dict[str, Any]], events_area: str) -> None:
    """Each function has its handler module and a sample event; HTTP ones attach the request pipeline."""
    for name, props in functions.items():
        module = props["Handler"].split(".")[0]
        assert (ROOT / props["CodeUri"] / f"{module}.py").is_file(), name
        assert (ROOT / "events" / events_area / f"{module}.json").is_file(), name
        if "Events" in props:
            assert {"Ref": "RequestPipelinePolicy"} in props["Policies"], name


def loads_fpdf(props: dict[str, Any]) -> bool:
    """Whether loading the function's handler module (in a fresh interpreter) imports fpdf2."""
    module = props["Handler"].split(".")[0]
    path = str(ROOT / props["CodeUri"] / f"{module}.py")
    code = (
        "import sys, importlib.util;"
        f"spec = importlib.util.spec_from_file_location('h', {path!r});"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        "print('fpdf' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "layers/pitchey/python"), "PATH": "/usr/bin:/bin"},
    )
    return result.stdout.strip() == "True"
