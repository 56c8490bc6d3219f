"""EventBridge rules on the default bus: `AWS::Events::Rule`s with an `EventPattern` and functions'
`Events: {Type: EventBridgeRule | CloudWatchEvent}`; `PutEvents` -> rule -> Lambda function or state machine.

Every rule exists in moto (its Name / RuleName, else the logical id / `<Function><Event>`), with its pattern
and State; moto matches `PutEvents` entries against the pattern (equality, prefix, suffix, anything-but,
numeric, exists, equals-ignore-case, nested fields, arrays). Each target is, in moto, an SQS target to an
internal queue (local/bridge.py); the bridge invokes the target with the event exactly as EventBridge
delivers it ({version, id, detail-type, source, account, time, region, resources, detail}), or the target's
`Input` (a constant JSON) / `InputPath` (`$` or a dotted `$.a.b` path) in its place. A Lambda target is
invoked through the worker pool (asynchronously on AWS: two retries), a state machine target gets
StartExecution with the event as input. Not emulated (reported at start): custom event buses,
`InputTransformer`, targets other than the template's functions and state machines, `DeadLetterConfig` /
`RetryPolicy` of a target.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from local.bridge import BridgedTriggers, DeliveryFailed, invoke_function

log = logging.getLogger("pitchey-local")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


def _pattern(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def event_rules(model: Any) -> list[dict[str, Any]]:
    """[{rule, pattern, state, targets: [{id, function | state_machine, input, input_path}]}]."""
    rules = []
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent"):
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            props = model.resolver.resolve(event.get("Properties") or {}, where)
            rules.append(
                {
                    "rule": str(props.get("RuleName") or f"{fn.logical_id}{event_name}")[:64],
                    "pattern": _pattern(props.get("Pattern") or {}),
                    "state": str(props.get("State", "ENABLED")),
                    "targets": [
                        {
                            "id": str(
                                (props.get("Target") or {}).get("Id") or f"{fn.logical_id}{event_name}"
                            ),
                            "function": fn.logical_id,
                            "input": props.get("Input"),
                            "input_path": props.get("InputPath"),
                        }
                    ],
                }
            )
    machines = {model.resolver.ref(lid, lid): lid for lid in model.resources(*STATE_MACHINE_TYPES)}
    for lid, res in model.resources("AWS::Events::Rule").items():
        raw = res.get("Properties") or {}
        if "EventPattern" not in raw:
            continue  # schedules (local/schedules.py)
        props = model.resolver.resolve({k: v for k, v in raw.items() if k != "Targets"}, lid)
        targets = []
        for index, target in enumerate(raw.get("Targets") or []):
            where = f"{lid} (Targets[{index}])"
            resolved = model.resolver.resolve({k: v for k, v in target.items() if k != "Arn"}, where)
            entry = {
                "id": str(resolved.get("Id", index)),
                "input": resolved.get("Input"),
                "input_path": resolved.get("InputPath"),
            }
            arn = str(model.resolver.resolve(target.get("Arn"), where))
            if arn in machines:
                entry["state_machine"] = arn
            else:
                entry["function"] = model._function_of(target.get("Arn"), where)
            targets.append(entry)
        rules.append(
            {
                "rule": str(props.get("Name") or lid)[:64],
                "pattern": _pattern(props["EventPattern"]),
                "state": str(props.get("State", "ENABLED")),
                "targets": targets,
            }
        )
    return rules


def target_input(event: dict[str, Any], constant: Any, path: Any) -> Any:
    """What a target receives: its constant Input, the InputPath part of the event, or the event."""
    if constant is not None:
        return json.loads(constant) if isinstance(constant, str) else constant
    if path:
        value: Any = event
        for part in str(path).removeprefix("$").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return value
    return event


class EventBridgeRules(BridgedTriggers):
    name = "eventbridge"

    def start(self) -> None:
        events = self.runtime.aws.client("events")
        for rule in event_rules(self.runtime.model):
            events.put_rule(Name=rule["rule"], EventPattern=rule["pattern"], State=rule["state"])
            moto_targets = []
            # moto matches disabled rules too: one without targets delivers nothing, as on AWS.
            for target in rule["targets"] if rule["state"] == "ENABLED" else []:
                what = target.get("function") or target["state_machine"]
                bridge = self.bridges.add(
                    f"{rule['rule']}-{target['id']}", "eventbridge", what, self._deliverer(target)
                )
                moto_targets.append({"Id": target["id"], "Arn": bridge.queue_arn})
            if moto_targets:
                events.put_targets(Rule=rule["rule"], Targets=moto_targets)

    def _deliverer(self, target: dict[str, Any]) -> Any:
        def deliver(body: str, message: dict[str, Any]) -> None:
            payload = target_input(self._event(body), target.get("input"), target.get("input_path"))
            if "function" in target:
                invoke_function(self.runtime, target["function"], payload)
                return
            try:
                started = self.runtime.aws.client("stepfunctions").start_execution(
                    stateMachineArn=target["state_machine"], input=json.dumps(payload)
                )
            except Exception as error:  # a botocore error: retried like a failed invocation
                raise DeliveryFailed(str(error)) from error
            log.info("rule target %s started %s", target["id"], started["executionArn"])

        return deliver

    def _event(self, body: str) -> dict[str, Any]:
        """moto's delivered event (which drops `account`) in EventBridge's shape and key order."""
        sent = json.loads(body)
        sent["account"] = self.runtime.model.resolver.account
        order = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
        return {key: sent.get(key) for key in order} | {k: v for k, v in sent.items() if k not in order}


def setup(runtime: Any) -> None:
    runtime.add_component(EventBridgeRules(runtime))
