"""S3 triggers: functions with `Events: {Type: S3}` (and a bucket's `NotificationConfiguration.
LambdaConfigurations`) get the bucket's object events.

Each notification is, in moto, a queue notification of the bucket to an internal queue (local/bridge.py)
with the declared event types (`s3:ObjectCreated:*`, `s3:ObjectRemoved:*`, or one of their kinds) and
`Filter.S3Key.Rules` prefix/suffix (moto matches both). The function gets Lambda's S3 event, one record per
invocation: eventVersion "2.1", eventSource "aws:s3", awsRegion, eventTime, eventName (`ObjectCreated:Put`,
`ObjectCreated:Post`, `ObjectCreated:CompleteMultipartUpload`, `ObjectRemoved:Delete`, ...),
userIdentity, requestParameters, responseElements, s3{s3SchemaVersion, configurationId, bucket{name,
ownerIdentity, arn}, object{key (URL-encoded), size, eTag, sequencer, versionId in a versioned bucket}}; a
delete without a version in a versioned bucket is `ObjectRemoved:DeleteMarkerCreated` (local/moto_fixes.py).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from local.bridge import BridgedTriggers
from local.functions_ref import TemplateError

PRINCIPAL = "AWS:AIDAJDPLRKLG7UEXAMPLE"  # the documented example principal of S3 events


def _rules(filter_node: Any) -> list[dict[str, str]]:
    rules = ((filter_node or {}).get("S3Key") or {}).get("Rules") or []
    return [{"Name": str(rule["Name"]).lower(), "Value": str(rule["Value"])} for rule in rules]


def s3_notifications(model: Any) -> dict[str, list[dict[str, Any]]]:
    """bucket logical id -> [{name, function, events, rules}] of every S3 event and LambdaConfiguration."""
    found: dict[str, list[dict[str, Any]]] = {}
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") != "S3":
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            raw = event.get("Properties") or {}
            bucket = raw.get("Bucket")
            bucket = bucket.get("Ref") if isinstance(bucket, dict) else bucket
            if bucket not in model.resources("AWS::S3::Bucket"):
                raise TemplateError(f"{where}: Bucket must be !Ref of a bucket of this template (as in SAM)")
            props = model.resolver.resolve({k: v for k, v in raw.items() if k != "Bucket"}, where)
            events = props.get("Events")
            found.setdefault(bucket, []).append(
                {
                    "name": f"{fn.logical_id}.{event_name}",
                    "function": fn.logical_id,
                    "events": [events] if isinstance(events, str) else list(events or []),
                    "rules": _rules(props.get("Filter")),
                }
            )
    for lid, res in model.resources("AWS::S3::Bucket").items():
        config = (res.get("Properties") or {}).get("NotificationConfiguration") or {}
        for index, item in enumerate(config.get("LambdaConfigurations") or []):
            where = f"{lid} (NotificationConfiguration.LambdaConfigurations[{index}])"
            props = model.resolver.resolve({k: v for k, v in item.items() if k != "Function"}, where)
            found.setdefault(lid, []).append(
                {
                    "name": f"{lid}.{index}",
                    "function": model._function_of(item.get("Function"), where),
                    "events": [str(props.get("Event"))],
                    "rules": _rules(props.get("Filter")),
                }
            )
    return found


def lambda_event(body: str) -> dict[str, Any] | None:
    """moto's S3 event completed with the fields AWS's records carry; None for the s3:TestEvent a queue gets
    when a configuration is put (AWS does not invoke functions with it)."""
    event = json.loads(body)
    if not event.get("Records"):
        return None
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": PRINCIPAL})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault(
            "responseElements",
            {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"},
        )
        s3 = record.get("s3") or {}
        s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": PRINCIPAL.split(":", 1)[1]})
        obj = s3.get("object", {})
        obj.setdefault("sequencer", f"{time.time_ns():016X}")
        if "key" in obj:  # URL-encoded as AWS does it: `/` kept (moto encodes it too)
            obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
    return event


class S3Triggers(BridgedTriggers):
    name = "s3-events"

    def start(self) -> None:
        s3 = self.runtime.aws.client("s3")
        for bucket, notifications in s3_notifications(self.runtime.model).items():
            configurations = []
            for item in notifications:
                function = item["function"]
                bridge = self.bridges.add(
                    item["name"], "s3", function, self.to_function(function, lambda_event)
                )
                configuration: dict[str, Any] = {
                    "Id": item["name"],
                    "QueueArn": bridge.queue_arn,
                    "Events": item["events"],
                }
                if item["rules"]:
                    configuration["Filter"] = {"Key": {"FilterRules": item["rules"]}}
                configurations.append(configuration)
            s3.put_bucket_notification_configuration(
                Bucket=self.runtime.model.resolver.ref(bucket, bucket),
                NotificationConfiguration={"QueueConfigurations": configurations},
            )


def setup(runtime: Any) -> None:
    runtime.add_component(S3Triggers(runtime))
