"""statemachines/nda.asl.json against the template: substitutions, functions, steps, timeouts, error
handling; and the template's NDA resources (bucket security, functions, sample events)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from pitchey.ndas import documents, workflow
from tests.unit import statemachine_support as machines
from tests.unit.test_ndas_support import ASL_PATH, ROOT, substituted_definition

pytest_plugins = ("tests.unit.test_ndas_support",)

TEMPLATE, ASL, MACHINE = machines.machine_under_test("NdaStateMachine", ASL_PATH)
RESOURCES, STATES = TEMPLATE["Resources"], ASL["States"]
# Which step table serves each function substitution.
STEP_TABLES = {"NdaWorkflowFunctionArn": workflow.STEPS, "NdaDocumentFunctionArn": documents.STEPS}


def test_definition_is_valid_json_and_declared_as_a_standard_state_machine():
    assert MACHINE["Type"] == "STANDARD"
    assert (ROOT / MACHINE["DefinitionUri"]).resolve() == ASL_PATH.resolve()
    assert ASL["StartAt"] in STATES


def test_every_substitution_is_declared_and_every_declaration_used():
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert used == set(MACHINE["DefinitionSubstitutions"])


def test_function_substitutions_point_at_template_functions():
    for name in STEP_TABLES:
        value = MACHINE["DefinitionSubstitutions"][name]
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn"
        assert RESOURCES[logical_id]["Type"] == "AWS::Serverless::Function"
        invoked = {p["FunctionName"]["Ref"] for p in _invoke_policies()}
        assert logical_id in invoked, f"state machine may not invoke {logical_id}"


def _invoke_policies():
    return [p["LambdaInvokePolicy"] for p in MACHINE["Policies"] if "LambdaInvokePolicy" in p]


def test_durations_come_from_the_template_parameters():
    subs = MACHINE["DefinitionSubstitutions"]
    assert subs["NdaRequestTtlSeconds"] == {"Ref": "NdaRequestTtlSeconds"}
    assert subs["NdaSignatureTtlSeconds"] == {"Ref": "NdaSignatureTtlSeconds"}
    assert TEMPLATE["Parameters"]["NdaRequestTtlSeconds"]["Default"] == 2592000
    assert TEMPLATE["Parameters"]["NdaSignatureTtlSeconds"]["Default"] == 1209600
    assert STATES[ASL["StartAt"]]["Default"] == "ApplyTimeouts"  # a new request's execution
    timeouts = STATES["ApplyTimeouts"]["Parameters"]["timeouts"]
    assert timeouts == {
        "decisionSeconds.$": "States.StringToJson('${NdaRequestTtlSeconds}')",
        "signatureSeconds.$": "States.StringToJson('${NdaSignatureTtlSeconds}')",
    }


def test_each_task_calls_a_known_step_of_its_function():
    machines.assert_tasks_call_known_steps(STATES, STEP_TABLES, "ndaId")


def test_waits_use_task_tokens_with_parameter_timeouts_that_end_in_expiry():
    waits = {
        "WaitForDecision": ("decisionSeconds", "ExpireRequest"),
        "WaitForSignature": ("signatureSeconds", "ExpireSignature"),
    }
    for name, (timeout, expiry) in waits.items():
        state = STATES[name]
        assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        assert state["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
        assert state["TimeoutSecondsPath"] == f"$.timeouts.{timeout}"
        assert state["Catch"][0] == {
            "ErrorEquals": ["States.Timeout"],
            "ResultPath": "$.timeout",
            "Next": expiry,
        }
        assert STATES[expiry]["Parameters"]["Payload"]["step"] == "expire"
    # Only the waits may take long: every other task has no timeout path.
    assert [n for n, s in STATES.items() if "TimeoutSecondsPath" in s] == list(waits)


def test_every_lambda_step_retries_transient_errors_and_fails_visibly():
    machines.assert_lambda_steps_retry_then_record_failure(STATES)


def test_outcomes_route_every_ending():
    def routes(choice):
        return {c["StringEquals"]: c["Next"] for c in STATES[choice]["Choices"]}

    assert routes("DecisionOutcome") == {
        "approved": "GenerateDocument",
        "rejected": "NotifyRejected",
        "expired": "NotifyExpired",
    }
    assert routes("SignatureOutcome") == {"signed": "GenerateSignedDocument", "expired": "NotifyExpired"}
    assert routes("AccessOutcome") == {
        "expired": "NotifyExpired",
        "revoked": "Revoked",
        "wait": "AccessTerm",
        "continued": "AccessContinued",
    }
    for choice in ("DecisionOutcome", "SignatureOutcome", "AccessOutcome"):
        assert STATES[choice]["Default"] == "UnexpectedOutcome"
    assert {n for n, s in STATES.items() if s["Type"] == "Succeed"} == {
        "Signed",
        "Rejected",
        "Expired",
        "Revoked",
        "AccessContinued",
    }


def test_a_signed_nda_with_an_access_period_waits_for_its_end_then_expires():
    """#21: after the signed document and its notification, a limited NDA waits (a Wait state on the time
    the step computes: the end of access, or of this execution's span) and then takes the expiry step; a
    continuation execution (`stage: access`) enters at that wait."""
    assert STATES["NotifySigned"]["Next"] == "AccessTerm"
    term = STATES["AccessTerm"]
    assert term["Parameters"]["Payload"]["startedAt.$"] == "$$.Execution.StartTime"
    assert term["ResultPath"] == "$.access" and term["Next"] == "AccessLimited"
    [limited] = STATES["AccessLimited"]["Choices"]
    assert limited == {"Variable": "$.access.limited", "BooleanEquals": True, "Next": "WaitForAccessEnd"}
    assert STATES["AccessLimited"]["Default"] == "Signed"
    wait = STATES["WaitForAccessEnd"]
    assert wait["Type"] == "Wait" and wait["TimestampPath"] == "$.access.waitUntil"
    assert wait["Next"] == "ExpireAccess"
    assert STATES["ExpireAccess"]["Parameters"]["Payload"]["step"] == "expire_access"
    assert STATES["ExpireAccess"]["Parameters"]["Payload"]["execution.$"] == "$$.Execution.Name"
    [entry] = STATES[ASL["StartAt"]]["Choices"]
    assert entry["Next"] == "AccessTerm"
    assert {"Variable": "$.stage", "StringEquals": "access"} in entry["And"]


def test_graph_is_closed_and_everything_is_reachable():
    def targets(state):
        found = [state.get("Next"), state.get("Default")]
        found += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
        return [t for t in found if t]

    for name, state in STATES.items():
        for target in targets(state):
            assert target in STATES, f"{name} → {target}"
        assert state["Type"] in ("Succeed", "Fail", "Choice") or "Next" in state or state.get("End")
    seen, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += targets(STATES[name])
    assert seen == set(STATES)


def test_substituted_definition_is_accepted_by_step_functions(aws):
    definition = substituted_definition(NdaRequestTtlSeconds="5", NdaSignatureTtlSeconds="7")
    parsed = json.loads(definition)
    assert "States.StringToJson('5')" in json.dumps(parsed)
    client = boto3.client("stepfunctions")
    arn = client.create_state_machine(
        name="nda", definition=definition, roleArn="arn:aws:iam::123456789012:role/r", type="STANDARD"
    )["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, name="nda-1", input='{"ndaId": "nda-1"}')
    assert execution["executionArn"].endswith(":nda-1")


# --- template: bucket, functions, events -----------------------------------------------------------------
def test_documents_bucket_is_encrypted_private_and_tls_only():
    bucket = RESOURCES["NdaDocumentsBucket"]["Properties"]
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    statements = RESOURCES["NdaDocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    conditions = {s["Sid"]: s["Condition"] for s in statements if s["Effect"] == "Deny"}
    assert conditions["DenyInsecureTransport"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert conditions["DenyUploadsWithoutAes256"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}
    }


def test_every_nda_function_has_code_a_sample_event_and_the_pipeline_policy():
    functions = machines.functions_under(RESOURCES, "functions/ndas")
    assert len(functions) == 24  # 13, six template routes, five access/bulk/remind/verify/stats (#21)
    machines.assert_code_events_and_pipeline(functions, "ndas")


def test_only_the_document_function_ships_and_imports_fpdf2():
    assert "fpdf2" in (ROOT / "functions/ndas/documents/requirements.txt").read_text()
    assert not (ROOT / "functions/ndas/requirements.txt").exists()
    # The renderer imports fpdf2 lazily, on its first document; nothing imports it at load time.
    for name, props in machines.functions_under(RESOURCES, "functions/ndas").items():
        assert not machines.loads_fpdf(props), name


def test_sample_events_are_http_api_payloads_or_step_payloads():
    for path in sorted(Path(ROOT / "events" / "ndas").glob("*.json")):
        event = json.loads(path.read_text())
        assert event.get("version") == "2.0" or "step" in event, path.name


def test_fpdf2_is_imported_only_by_the_pdf_renderers():
    importers = [
        path.relative_to(ROOT).as_posix()
        for base in ("layers/pitchey/python", "functions")
        for path in (ROOT / base).rglob("*.py")
        if re.search(r"^\s*(from|import) fpdf", path.read_text(), re.MULTILINE)
    ]
    # The house style (core/pdf.py) and the renderers built on it.
    assert sorted(importers) == [
        "layers/pitchey/python/pitchey/core/pdf.py",
        "layers/pitchey/python/pitchey/ndas/pdf.py",
    ]
