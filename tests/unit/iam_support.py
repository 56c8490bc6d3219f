"""What a function of template.yaml may do: the statements and managed policies of its execution role.

Functions share one role per context and secret set (template.yaml, "execution roles"), so a function's
permissions are read through its `Role`, never from the function itself.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from local.template import load_template


@cache
def _resources() -> dict[str, Any]:
    return load_template()["Resources"]


def role_name(function: str) -> str:
    """The logical id of the role a function runs as (`Role: !GetAtt <Role>.Arn`)."""
    role = _resources()[function]["Properties"]["Role"]
    target = role["Fn::GetAtt"]
    name, attribute = target.split(".", 1) if isinstance(target, str) else target
    assert attribute == "Arn", f"{function}: Role is {role}"
    return name


def _role(function: str) -> dict[str, Any]:
    return _resources()[role_name(function)]["Properties"]


def managed_policies(function: str) -> list[Any]:
    """ManagedPolicyArns of the function's role: AWS managed ARNs and `{"Ref": <our ManagedPolicy>}`."""
    return list(_role(function).get("ManagedPolicyArns") or [])


def statements(function: str) -> list[dict[str, Any]]:
    """Every inline statement of the function's role."""
    return [
        statement
        for policy in _role(function).get("Policies") or []
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def resource_name(resource: Any) -> str:
    """`!GetAtt T.Arn` -> "T", `!Sub "${T.Arn}/index/x"` -> "T/index/x", `!Ref S` -> "S"."""
    if "Fn::GetAtt" in resource:
        target = resource["Fn::GetAtt"]
        return target.split(".", 1)[0] if isinstance(target, str) else target[0]
    if "Ref" in resource:
        return resource["Ref"]
    return resource["Fn::Sub"].replace("${", "").replace(".Arn}", "").replace("}", "")


def listed(value: Any) -> list[Any]:
    """A policy's Action or Resource, which may be one value or a list."""
    return value if isinstance(value, list) else [value]


def grants(function: str) -> set[tuple[str, str]]:
    """(resource name, action) for every inline statement of the function's role."""
    granted = set()
    for statement in statements(function):
        assert statement["Effect"] == "Allow", statement
        granted |= {
            (resource_name(resource), action)
            for resource in listed(statement["Resource"])
            for action in listed(statement["Action"])
        }
    return granted


def readable_secrets(function: str) -> set[str]:
    """Logical ids of the secrets the function's role may read."""
    return {name for name, action in grants(function) if action == "secretsmanager:GetSecretValue"}
