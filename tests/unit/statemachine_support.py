"""Shared checks for a lifecycle's state machine and its functions (NDA, investments): the ASL with the
template's DefinitionSubstitutions applied, the machine created in moto, and the function rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.unit.iam_support import managed_policies

ROOT = Path(__file__).resolve().parents[2]
# Errors every Lambda task retries: ours (pitchey.core.workflow's TransientError) and Lambda's own.
TRANSIENT = {"TransientError", "Lambda.ServiceException", "Lambda.TooManyRequestsException"}


def substitute(asl_path: Path, values: dict[str, str]) -> str:
    """The definition as CloudFormation would deploy it: `${Name}` replaced textually; a `${...FunctionArn}`
    not in `values` becomes a made-up function ARN named after it."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values and name.endswith("FunctionArn"):
            return f"arn:aws:lambda:us-east-1:123456789012:function:{name.removesuffix('Arn')}"
        return values[name]

    return re.sub(r"\$\{(\w+)\}", value, asl_path.read_text())


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


def machine_under_test(
    logical_id: str, asl_path: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(the template, the parsed definition, the state machine resource's Properties)."""
    from local.template import load_template

    template = load_template()
    return template, json.loads(asl_path.read_text()), template["Resources"][logical_id]["Properties"]


def lambda_tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The definition's Task states that invoke a Lambda function."""
    return {
        name: state
        for name, state in states.items()
        if state["Type"] == "Task" and state["Resource"].startswith("arn:aws:states:::lambda:invoke")
    }


def assert_tasks_call_known_steps(states: dict[str, Any], step_tables: dict[str, Any], id_field: str) -> None:
    """Each Lambda task names a function substitution, a step that function's table has, and passes the
    record's id (`id_field`) on."""
    for name, state in lambda_tasks(states).items():
        function = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"]).group(1)
        step = state["Parameters"]["Payload"]["step"]
        assert step in step_tables[function], f"{name}: {function} has no step {step}"
        assert state["Parameters"]["Payload"][f"{id_field}.$"] == f"$.{id_field}"


def assert_lambda_steps_retry_then_record_failure(states: dict[str, Any]) -> None:
    """Every Lambda task retries transient errors with backoff (never States.ALL) and catches the rest
    into RecordFailure, which ends in the Fail state `Failed`: a broken step fails the run visibly."""
    for name, state in lambda_tasks(states).items():
        [retry] = state["Retry"]
        assert set(retry["ErrorEquals"]) >= TRANSIENT and "States.ALL" not in retry["ErrorEquals"]
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3
        last_catch = state["Catch"][-1]
        assert last_catch["ErrorEquals"] == ["States.ALL"]
        target = "Failed" if name == "RecordFailure" else "RecordFailure"
        assert last_catch["Next"] == target and last_catch["ResultPath"].startswith("$."), name
    assert states["RecordFailure"]["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"


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
            assert {"Ref": "RequestPipelinePolicy"} in managed_policies(name), name


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
