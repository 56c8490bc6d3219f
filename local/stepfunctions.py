"""Step Functions locally: the template's state machines, created in moto and executed by moto's interpreter.

Every `AWS::Serverless::StateMachine` (`DefinitionUri` file or inline `Definition`) and
`AWS::StepFunctions::StateMachine` (`Definition`/`DefinitionString`) is created in moto at start, named like
`!Ref`/`!GetAtt .Name` resolve (its `Name`/`StateMachineName`, else the logical id), with
`DefinitionSubstitutions` applied the way CloudFormation does: textually, so `"TimeoutSeconds": ${Ttl}`
works and template Parameters reach the ASL. Policies and roles are not enforced locally.

Executions run inside the moto child (moto 5.2.5's `stepfunctions.parser`, LocalStack's ASL engine) with the
fixes of `local/moto_fixes.py`. `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`) and plain
function-ARN Task resources reach our functions through the runtime's Lambda Invoke API; functions call
SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat with boto3 against `AWS_ENDPOINT_URL` as on AWS.

`GET /_local/executions` lists executions newest first with status, input, output, error/cause and the
event history; filters: `?stateMachine=<name or logical id>`, `?status=RUNNING|SUCCEEDED|FAILED|TIMED_OUT|
ABORTED`, `?execution=<arn>`, `?history=false`, `?limit=<n>` (default 50).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from local.functions_ref import TemplateError

log = logging.getLogger("pitchey-local")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


@dataclass
class StateMachineSpec:
    logical_id: str
    name: str
    definition: str  # JSON text after DefinitionSubstitutions
    role_arn: str
    type: str  # STANDARD | EXPRESS

    @property
    def definition_json(self) -> dict[str, Any]:
        return json.loads(self.definition)


def _substitution_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def apply_substitutions(text: str, substitutions: dict[str, Any]) -> str:
    """CloudFormation's DefinitionSubstitutions: each `${Key}` of a declared key becomes its value's text;
    other `${...}` stay as they are."""
    if not substitutions:
        return text
    return re.sub(
        r"\$\{([^}]+)\}",
        lambda m: (
            _substitution_text(substitutions[m.group(1)]) if m.group(1) in substitutions else m.group(0)
        ),
        text,
    )


def state_machines(model: Any) -> list[StateMachineSpec]:
    """The template's state machines with definitions loaded and substituted."""
    resolver = model.resolver
    specs = []
    for lid, res in model.resources(*STATE_MACHINE_TYPES).items():
        props = res.get("Properties") or {}
        serverless = res["Type"] == "AWS::Serverless::StateMachine"
        text = _serverless_definition(model, lid, props) if serverless else _cfn_definition(model, lid, props)
        substitutions = resolver.resolve(props.get("DefinitionSubstitutions") or {}, lid)
        definition = apply_substitutions(text, substitutions)
        try:
            json.loads(definition)
        except ValueError as error:
            raise TemplateError(
                f"{lid}: the definition is not JSON after DefinitionSubstitutions: {error}"
            ) from None
        if serverless and props.get("Events"):
            log.warning(
                "%s: state machine Events are not triggered locally (start executions with boto3)", lid
            )
        name = resolver.getatt(lid, "Name", lid)
        role = props.get("Role") if serverless else props.get("RoleArn")
        role_arn = (
            str(resolver.resolve(role, lid)) if role else resolver.arn("iam", f"role/{lid}Role", region=False)
        )
        kind = str(resolver.resolve(props.get("Type" if serverless else "StateMachineType", "STANDARD"), lid))
        specs.append(StateMachineSpec(lid, str(name), definition, role_arn, kind.upper()))
    return specs


def _serverless_definition(model: Any, lid: str, props: dict[str, Any]) -> str:
    if "Definition" in props:
        return json.dumps(model.resolver.resolve(props["Definition"], lid))
    uri = props.get("DefinitionUri")
    if not isinstance(uri, str):
        raise TemplateError(
            f"{lid}: DefinitionUri must be a local file path locally (S3 locations are not read)"
        )
    return _read_definition(model.root, lid, uri)


def _cfn_definition(model: Any, lid: str, props: dict[str, Any]) -> str:
    if "Definition" in props:
        return json.dumps(model.resolver.resolve(props["Definition"], lid))
    if "DefinitionString" in props:
        return str(model.resolver.resolve(props["DefinitionString"], lid))
    raise TemplateError(
        f"{lid}: needs Definition or DefinitionString locally (DefinitionS3Location is not read)"
    )


def _read_definition(root: Path, lid: str, uri: str) -> str:
    path = (Path(root) / uri).resolve()
    if not path.is_file():
        raise TemplateError(f"{lid}: DefinitionUri {uri} does not exist ({path})")
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return json.dumps(yaml.safe_load(text))
    return text


def _iso(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _event_view(event: dict[str, Any]) -> dict[str, Any]:
    """A history event for humans: ISO timestamps, JSON payloads (input/output/parameters) decoded."""
    view: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            view[key] = {
                k: _maybe_json(v) if k in ("input", "output", "parameters") else v for k, v in value.items()
            }
        else:
            view[key] = _iso(value)
    return view


class StepFunctions:
    """Runtime component: creates the template's state machines in moto and reports their executions."""

    name = "stepfunctions"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.machines: list[StateMachineSpec] = []
        self.arns: dict[str, str] = {}  # logical id -> state machine ARN
        self._client: Any = None
        self._ready = False
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self.runtime.aws.client("stepfunctions")
            return self._client

    def start(self) -> None:
        self.machines = state_machines(self.runtime.model)
        sfn = self.client()
        existing = {
            m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines().get("stateMachines", [])
        }
        for machine in self.machines:
            if machine.name in existing:
                arn = existing[machine.name]
                sfn.update_state_machine(
                    stateMachineArn=arn, definition=machine.definition, roleArn=machine.role_arn
                )
            else:
                arn = sfn.create_state_machine(
                    name=machine.name,
                    definition=machine.definition,
                    roleArn=machine.role_arn,
                    type=machine.type,
                )["stateMachineArn"]
            self.arns[machine.logical_id] = arn
        self._ready = True

    def stop(self) -> None:
        self._ready = False

    def health(self) -> bool:
        return self._ready

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"logicalId": m.logical_id, "name": m.name, "arn": self.arns.get(m.logical_id), "type": m.type}
            for m in self.machines
        ]

    # --- executions ---------------------------------------------------------------------------------------
    def _machine_arns(self, selector: str | None) -> list[str]:
        if not selector:
            return list(self.arns.values())
        return [
            self.arns[m.logical_id]
            for m in self.machines
            if selector in (m.logical_id, m.name, self.arns.get(m.logical_id))
        ]

    def execution(self, execution_arn: str, history: bool = True) -> dict[str, Any]:
        sfn = self.client()
        described = sfn.describe_execution(executionArn=execution_arn)
        machine_arn = described["stateMachineArn"]
        logical_id = next((lid for lid, arn in self.arns.items() if arn == machine_arn), None)
        view: dict[str, Any] = {
            "executionArn": described["executionArn"],
            "name": described.get("name"),
            "stateMachine": logical_id,
            "stateMachineArn": machine_arn,
            "status": described["status"],
            "startDate": _iso(described.get("startDate")),
            "stopDate": _iso(described.get("stopDate")),
            "input": _maybe_json(described.get("input")),
            "output": _maybe_json(described.get("output")),
            "error": described.get("error"),
            "cause": described.get("cause"),
        }
        if history:
            events: list[dict[str, Any]] = []
            kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
            while True:
                page = sfn.get_execution_history(**kwargs)
                events.extend(_event_view(e) for e in page.get("events", []))
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
            view["events"] = events
        return view

    def executions(
        self,
        state_machine: str | None = None,
        status: str | None = None,
        history: bool = True,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        sfn = self.client()
        summaries: list[dict[str, Any]] = []
        for arn in self._machine_arns(state_machine):
            kwargs: dict[str, Any] = {"stateMachineArn": arn}
            if status:
                kwargs["statusFilter"] = status
            summaries.extend(sfn.list_executions(**kwargs).get("executions", []))
        summaries.sort(key=lambda e: e["startDate"], reverse=True)
        return [self.execution(s["executionArn"], history) for s in summaries[:limit]]

    def admin_handler(self, request: Any) -> Any:
        from local.httpapi import gateway_message, json_response

        query = {key: values[-1] for key, values in request.query().items()}
        history = query.get("history", "true").lower() != "false"
        status = query.get("status", "").upper() or None
        if status and status not in EXECUTION_STATUSES:
            return gateway_message(400, f"status must be one of {', '.join(EXECUTION_STATUSES)}")
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            return gateway_message(400, "limit must be an integer")
        if "execution" in query:
            try:
                return json_response(200, self.execution(query["execution"], history))
            except self.client().exceptions.ExecutionDoesNotExist:
                return gateway_message(404, f"no execution {query['execution']}")
        selector = query.get("stateMachine")
        if selector and not self._machine_arns(selector):
            return gateway_message(404, f"no state machine {selector} in the template")
        items = self.executions(selector, status, history, max(1, min(limit, 1000)))
        return json_response(200, {"stateMachines": self.describe(), "executions": items})


def setup(runtime: Any) -> None:
    """Runtime plugin hook (see local/runtime.py): the component and `GET /_local/executions`."""
    component = StepFunctions(runtime)
    runtime.add_component(component)
    runtime.admin.add("GET", "/_local/executions", component.admin_handler)
