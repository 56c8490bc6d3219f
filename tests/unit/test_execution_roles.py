"""The stack fits CloudFormation (500 resources) and its shared execution roles still give every function
what SAM's role per function would have given it (template.yaml, "execution roles"; docs/decisions.md,
"One stack")."""

from __future__ import annotations

import json
import re

import pytest

from local.template import load_template
from tests.unit.iac_support import iac
from tests.unit.iam_support import grants, listed, managed_policies, role_name, statements

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {lid: r["Properties"] for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
ROLES = {lid: r["Properties"] for lid, r in RESOURCES.items() if r["Type"] == "AWS::IAM::Role"}
AWS_MANAGED = "arn:${AWS::Partition}:iam::aws:policy/"


def _aws_managed(function: str) -> set[str]:
    names = set()
    for policy in managed_policies(function):
        if isinstance(policy, dict) and "Fn::Sub" in policy and policy["Fn::Sub"].startswith(AWS_MANAGED):
            names.add(policy["Fn::Sub"].removeprefix(AWS_MANAGED))
    return names


def test_the_deployed_stack_fits_in_one_cloudformation_stack():
    resources = iac.deployed_resources()
    assert sum(resources.values()) <= iac.STACK_LIMIT, resources.most_common(6)
    assert resources["AWS::Lambda::Function"] == len(FUNCTIONS)
    # SAM made a role per function (and per state machine) and Lambda a log group per function.
    assert resources["AWS::IAM::Role"] == len(ROLES) + 2 < len(FUNCTIONS) / 3
    assert resources["AWS::Logs::LogGroup"] < 5


def test_every_function_runs_as_a_template_role_and_every_role_is_used():
    used = set()
    for lid, props in FUNCTIONS.items():
        # With `Role` set SAM ignores `Policies`: one there would be a permission that silently is not.
        assert "Policies" not in props, f"{lid}: put its permissions in {role_name(lid)}"
        assert role_name(lid) in ROLES, lid
        used.add(role_name(lid))
    assert used == set(ROLES)
    for lid, props in ROLES.items():
        (statement,) = props["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, lid


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_a_role_gives_what_sam_would_add_for_the_function(function):
    props = FUNCTIONS[function]
    aws = _aws_managed(function)
    assert {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"} <= aws  # logs, Tracing
    events = (props.get("Events") or {}).values()
    if any(event["Type"] == "DynamoDB" for event in events):
        assert "service-role/AWSLambdaDynamoDBExecutionRole" in aws
    destinations = [
        event["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        for event in events
        if event["Type"] == "DynamoDB"
    ]
    destinations.append(
        (props.get("EventInvokeConfig") or {})
        .get("DestinationConfig", {})
        .get("OnFailure", {})
        .get("Destination")
    )
    for destination in filter(None, destinations):
        assert (destination["Fn::GetAtt"][0], "sqs:SendMessage") in grants(function), destination


def test_roles_name_their_resources_and_fit_iams_size_limit():
    for function in FUNCTIONS:
        for statement in statements(function):
            actions = listed(statement["Action"])
            # SAM's own templates end a verb with * (sqs:SendMessage*); never a whole service.
            assert all(action != "*" and not action.endswith(":*") for action in actions), (function, actions)
            assert statement["Resource"] != "*" and "*" not in statement["Resource"], function
    for lid, props in ROLES.items():
        assert len(props.get("ManagedPolicyArns") or []) <= 10, lid  # IAM's default quota per role
        # Inline policies of a role may total 10,240 characters once references are ARNs (~100 each).
        text = json.dumps([p["PolicyDocument"] for p in props.get("Policies") or []], separators=(",", ":"))
        resolved = re.sub(r'\{"(Ref|Fn::GetAtt|Fn::Sub)":[^{}]*\}', '"' + "a" * 100 + '"', text)
        assert len(resolved) < 10_240, (lid, len(resolved))
