"""Reading state machines from a template: definitions, DefinitionSubstitutions, names, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.model import AppModel, TemplateError
from local.stepfunctions import apply_substitutions, state_machines

FIXTURE = Path(__file__).parent / "fixtures" / "triggers" / "template.yaml"


def load(path: Path = FIXTURE, **overrides: str) -> AppModel:
    model = AppModel.load(path, overrides)
    model.resolve_all()
    return model


def test_substitutions_are_textual_like_cloudformation() -> None:
    text = '{"TimeoutSeconds": ${Ttl}, "Resource": "${Fn}", "Keep": "${Unknown}", "Flag": ${On}}'
    substituted = apply_substitutions(text, {"Ttl": "30", "Fn": "arn:aws:lambda:x", "On": True})
    assert json.loads(substituted.replace("${Unknown}", "u")) == {
        "TimeoutSeconds": 30,
        "Resource": "arn:aws:lambda:x",
        "Keep": "u",
        "Flag": True,
    }
    assert "${Unknown}" in substituted  # keys not declared stay as they are


def test_state_machines_of_the_fixture() -> None:
    model = load(DecisionTtlSeconds="7", QuickDecisionTtlSeconds="2")
    machines = {m.logical_id: m for m in state_machines(model)}
    assert set(machines) == {
        "DecisionStateMachine",
        "QuickDecisionStateMachine",
        "SignatureStateMachine",
        "RetryStateMachine",
        "FlowStateMachine",
    }
    decision = machines["DecisionStateMachine"].definition_json["States"]["WaitForDecision"]
    assert decision["TimeoutSeconds"] == 7  # a Number parameter, unquoted in the file
    quick = machines["QuickDecisionStateMachine"].definition_json["States"]["WaitForDecision"]
    assert quick["TimeoutSeconds"] == 2  # the same file, another substitution
    assert (
        decision["Parameters"]["FunctionName"]
        == "arn:aws:lambda:us-east-1:123456789012:function:TokenReceiverFunction"
    )
    assert machines["SignatureStateMachine"].name == "fixture-signature"  # Name property
    assert machines["DecisionStateMachine"].name == "DecisionStateMachine"  # logical id
    flow = machines["FlowStateMachine"]  # AWS::StepFunctions::StateMachine with DefinitionString !Sub
    assert flow.name == "fixture-flow" and flow.role_arn == "arn:aws:iam::123456789012:role/fixture-flow"
    worker = flow.definition_json["States"]["Both"]["Branches"][1]["States"]["Double"]["Resource"]
    assert worker == "arn:aws:lambda:us-east-1:123456789012:function:WorkerFunction"
    assert all(m.type == "STANDARD" for m in machines.values())


def test_missing_definition_file_and_bad_json_are_template_errors(tmp_path: Path) -> None:
    (tmp_path / "functions").symlink_to(FIXTURE.parent / "functions")
    (tmp_path / "statemachines").mkdir()
    for name in ("decision", "signature"):
        (tmp_path / "statemachines" / f"{name}.asl.json").write_text(
            (FIXTURE.parent / "statemachines" / f"{name}.asl.json").read_text()
        )
    broken = tmp_path / "template.yaml"
    broken.write_text(FIXTURE.read_text())
    with pytest.raises(TemplateError, match=r"RetryStateMachine: DefinitionUri statemachines/retry.asl.json"):
        state_machines(load(broken))
    (tmp_path / "statemachines" / "retry.asl.json").write_text('{"StartAt": ${Missing}}')
    with pytest.raises(TemplateError, match="RetryStateMachine: the definition is not JSON"):
        state_machines(load(broken))
