"""statemachines/investment.asl.json against the template and the lifecycle: substitutions, functions,
steps, the stage loop (every status routed, timeouts only on pledged stages), error handling; and the
template's investment resources (bucket security, functions, sample events, fpdf2 only where rendered)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from pitchey.investments import documents, workflow
from pitchey.investments.lifecycle import STATUSES, TERMINAL, TIMED, WAITING
from tests.events import call, load_handler
from tests.unit import statemachine_support as machines
from tests.unit.test_investments_support import ASL_PATH, ROOT, substituted_definition

pytest_plugins = ("tests.unit.test_investments_support",)

TEMPLATE, ASL, MACHINE = machines.machine_under_test("InvestmentStateMachine", ASL_PATH)
RESOURCES, STATES = TEMPLATE["Resources"], ASL["States"]
STEP_TABLES = {
    "InvestmentWorkflowFunctionArn": workflow.STEPS,
    "InvestmentDocumentFunctionArn": documents.STEPS,
}


def test_declared_as_a_standard_state_machine_with_every_substitution_used():
    assert MACHINE["Type"] == "STANDARD"
    assert (ROOT / MACHINE["DefinitionUri"]).resolve() == ASL_PATH.resolve()
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert used == set(MACHINE["DefinitionSubstitutions"])
    assert MACHINE["DefinitionSubstitutions"]["InvestmentStageTtlSeconds"] == {
        "Ref": "InvestmentStageTtlSeconds"
    }
    assert TEMPLATE["Parameters"]["InvestmentStageTtlSeconds"]["Default"] == 2592000
    assert TEMPLATE["Parameters"]["InvestmentPaymentRequired"]["Default"] == "true"  # payments make it active


def test_function_substitutions_point_at_functions_the_machine_may_invoke():
    invoked = {p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in MACHINE["Policies"]}
    for name in STEP_TABLES:
        logical_id, attribute = MACHINE["DefinitionSubstitutions"][name]["Fn::GetAtt"]
        assert attribute == "Arn" and RESOURCES[logical_id]["Type"] == "AWS::Serverless::Function"
        assert logical_id in invoked


def test_each_task_calls_a_known_step_of_its_function():
    machines.assert_tasks_call_known_steps(STATES, STEP_TABLES, "investmentId")


def test_the_stage_choice_routes_every_status():
    routes = {}
    for choice in STATES["Stage"]["Choices"]:
        for option in choice["Or"]:
            routes[option["StringEquals"]] = choice["Next"]
    assert set(routes) == set(STATUSES)
    for status in STATUSES:
        expected = "WaitInStage" if status in TIMED else "Closed" if status in TERMINAL else "WaitOpenEnded"
        assert routes[status] == expected, status
    assert set(WAITING) == {s for s, n in routes.items() if n.startswith("Wait")}
    assert STATES["Stage"]["Default"] == "UnexpectedOutcome"


def test_waits_use_task_tokens_and_only_pledged_stages_time_out_into_expiry():
    for name in ("WaitInStage", "WaitOpenEnded"):
        state = STATES[name]
        assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        payload = state["Parameters"]["Payload"]
        assert payload["taskToken.$"] == "$$.Task.Token" and payload["stage.$"] == "$.stage"
        assert state["Next"] == "Advance"
    assert STATES["WaitInStage"]["TimeoutSecondsPath"] == "$.timeouts.stageSeconds"
    assert STATES["WaitInStage"]["Catch"][0] == {
        "ErrorEquals": ["States.Timeout"],
        "ResultPath": "$.timeout",
        "Next": "ExpireStage",
    }
    assert [n for n, s in STATES.items() if "TimeoutSecondsPath" in s or "TimeoutSeconds" in s] == [
        "WaitInStage"
    ]
    assert STATES["ExpireStage"]["Parameters"]["Payload"]["step"] == "expire"
    assert STATES["Advance"]["Parameters"]["stage.$"] == "$.result.outcome"
    assert STATES["Advance"]["Next"] == "Notify" and STATES["Notify"]["Next"] == "Stage"
    timeouts = STATES[ASL["StartAt"]]["Parameters"]["timeouts"]
    assert timeouts == {"stageSeconds.$": "States.StringToJson('${InvestmentStageTtlSeconds}')"}


def test_every_lambda_step_retries_transient_errors_and_fails_visibly():
    machines.assert_lambda_steps_retry_then_record_failure(STATES)


def test_graph_is_closed_and_everything_is_reachable():
    def targets(state):
        found = [state.get("Next"), state.get("Default")]
        found += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
        return [t for t in found if t]

    seen, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            for target in targets(STATES[name]):
                assert target in STATES, f"{name} → {target}"
                todo.append(target)
    assert seen == set(STATES)


def test_substituted_definition_is_accepted_by_step_functions(aws):
    client = boto3.client("stepfunctions")
    arn = client.create_state_machine(
        name="investment",
        definition=substituted_definition(InvestmentStageTtlSeconds="5"),
        roleArn="arn:aws:iam::123456789012:role/r",
        type="STANDARD",
    )["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, name="inv-1", input='{"investmentId": "inv-1"}')
    assert execution["executionArn"].endswith(":inv-1")


# --- template: tables, bucket, functions, events ---------------------------------------------------------
def test_tables_have_the_indexes_the_models_query():
    indexes = {i["IndexName"] for i in RESOURCES["InvestmentsTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes == {"byPitch", "byInvestor"}
    keys = RESOURCES["InvestmentEventsTable"]["Properties"]["KeySchema"]
    assert keys == [
        {"AttributeName": "investorId", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_documents_bucket_is_encrypted_private_and_tls_only():
    bucket = RESOURCES["InvestmentDocumentsBucket"]["Properties"]
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statements = RESOURCES["InvestmentDocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    sids = {s["Sid"] for s in statements if s["Effect"] == "Deny"}
    assert sids == {"DenyInsecureTransport", "DenyUploadsWithoutAes256"}


def investment_functions():
    return machines.functions_under(RESOURCES, "functions/investments")


def test_every_investment_function_has_code_a_sample_event_and_the_pipeline_policy():
    functions = investment_functions()
    assert len(functions) == 11
    machines.assert_code_events_and_pipeline(functions, "investments")


def test_routes_are_the_api_md_paths():
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for props in investment_functions().values()
        for event in props.get("Events", {}).values()
    }
    assert routes == {
        ("POST", "/api/investments"),
        ("POST", "/api/investments/create"),
        ("POST", "/api/investments/{id}/transition"),
        ("GET", "/api/investments/{id}"),
        ("GET", "/api/investments/{id}/timeline"),
        ("GET", "/api/investments/{id}/agreement"),
        ("GET", "/api/investments/portfolio"),
        ("GET", "/api/investments/history"),
        ("GET", "/api/pitches/{id}/investments"),
        ("GET", "/api/investment/recommendations"),
    }


def test_only_the_document_function_ships_and_loads_fpdf2():
    assert "fpdf2" in (ROOT / "functions/investments/documents/requirements.txt").read_text()
    assert not (ROOT / "functions/investments/requirements.txt").exists()
    for name, props in investment_functions().items():
        assert not machines.loads_fpdf(props), name


def test_sample_events_run_against_their_handlers(crew, pitch_factory, investment_machine):
    """The HTTP samples are API Gateway payload 2.0 events: with the placeholders filled in they drive
    their handlers (the investor's create first, then the reads and the creator's transition)."""
    pitch_id = pitch_factory(crew.creator)
    samples = Path(ROOT / "events" / "investments")
    for path in sorted(samples.glob("*.json")):
        event = json.loads(path.read_text())
        assert event.get("version") == "2.0" or "step" in event, path.name

    def run(name: str, values: dict[str, str]):
        text = (samples / f"{name}.json").read_text()
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        event = json.loads(text)
        event["requestContext"].pop("authorizer")  # the handler verifies the bearer token itself
        who = (
            crew.creator
            if event["routeKey"].startswith(("POST /api/investments/{id}", "GET /api/pitches"))
            else crew.investor
        )
        event["headers"]["authorization"] = f"Bearer {who.token}"
        return call(load_handler(f"investments/{name}"), event)

    made = run("create", {"0193b0c1d2e3f4a5b6c7d8e9f0a1b2c3": pitch_id})
    assert made.status == 201, made.body
    investment_id = made.data["investment"]["id"]
    ids = {"01a1f0c1d2e3f4a5b6c7d8e9f0a1b2c3": investment_id, "0193b0c1d2e3f4a5b6c7d8e9f0a1b2c3": pitch_id}
    for name in (
        "get",
        "timeline",
        "portfolio",
        "history",
        "pitch_investments",
        "recommendations",
        "transition",
    ):
        assert run(name, ids).status == 200, name
