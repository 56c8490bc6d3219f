"""SNS triggers: functions with `Events: {Type: SNS}` (and `AWS::SNS::Subscription`s with Protocol lambda)
get the topic's messages as Lambda delivers them.

Each subscription is, in moto, an SQS subscription of the topic to an internal queue (local/bridge.py) with
the declared `FilterPolicy` and `FilterPolicyScope` (moto applies them: attribute and message-body policies,
prefix/anything-but/numeric/exists), so a publish the policy rejects never reaches the function. The
function gets `{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn",
"Sns": {Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature,
SigningCertUrl, UnsubscribeUrl, MessageAttributes}}]}`, one record per invocation as on AWS; a
`MessageStructure: json` publish delivers its `lambda` (or `default`) entry (local/moto_fixes.py). Not
emulated, and reported at start: `SqsSubscription` (SAM's queue between), a subscription's `RedrivePolicy`.
"""

from __future__ import annotations

import json
from typing import Any

from local.bridge import BridgedTriggers
from local.functions_ref import TemplateError


def sns_subscriptions(model: Any) -> list[dict[str, Any]]:
    """(function, topic ARN, filter policy, scope, name) of every SNS event and lambda subscription."""
    found = []
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") != "SNS":
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            props = model.resolver.resolve(event.get("Properties") or {}, where)
            found.append(
                {
                    "name": f"{fn.logical_id}.{event_name}",
                    "function": fn.logical_id,
                    "topic": str(props.get("Topic")),
                    "filter": props.get("FilterPolicy"),
                    "scope": props.get("FilterPolicyScope"),
                }
            )
    for lid, res in model.resources("AWS::SNS::Subscription").items():
        raw = res.get("Properties") or {}
        props = model.resolver.resolve({k: v for k, v in raw.items() if k != "Endpoint"}, lid)
        if str(props.get("Protocol")) != "lambda":
            raise TemplateError(f"{lid}: only Protocol lambda subscriptions are emulated locally")
        found.append(
            {
                "name": lid,
                "function": model._function_of(raw.get("Endpoint"), lid),
                "topic": str(props.get("TopicArn")),
                "filter": props.get("FilterPolicy"),
                "scope": props.get("FilterPolicyScope"),
            }
        )
    return found


def lambda_event(body: str, subscription_arn: str) -> dict[str, Any]:
    """moto's SQS envelope of a notification, as Lambda's SNS event."""
    note = json.loads(body)
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": note.get("Type", "Notification"),
                    "MessageId": note["MessageId"],
                    "TopicArn": note["TopicArn"],
                    "Subject": note.get("Subject"),
                    "Message": note["Message"],
                    "Timestamp": note["Timestamp"],
                    "SignatureVersion": note.get("SignatureVersion", "1"),
                    "Signature": note.get("Signature", ""),
                    "SigningCertUrl": note.get("SigningCertURL", ""),
                    "UnsubscribeUrl": note.get("UnsubscribeURL", ""),
                    "MessageAttributes": note.get("MessageAttributes") or {},
                },
            }
        ]
    }


class SnsTriggers(BridgedTriggers):
    name = "sns"

    def start(self) -> None:
        sns = self.runtime.aws.client("sns")
        for sub in sns_subscriptions(self.runtime.model):
            bridge = self.bridges.add(sub["name"], "sns", sub["function"], lambda body, message: None)
            attributes = {}
            if sub["filter"] is not None:
                policy = sub["filter"]
                attributes["FilterPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
            if sub["scope"]:
                attributes["FilterPolicyScope"] = str(sub["scope"])
            arn = sns.subscribe(
                TopicArn=sub["topic"],
                Protocol="sqs",
                Endpoint=bridge.queue_arn,
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
            bridge.deliver = self.to_function(sub["function"], lambda body, arn=arn: lambda_event(body, arn))


def setup(runtime: Any) -> None:
    runtime.add_component(SnsTriggers(runtime))
