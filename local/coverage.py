"""What the local runtime emulates of a template, and the report of everything it does not.

Every resource type, resource attribute, property, function event type and event property, Globals
section and intrinsic function of the template falls in one of three classes:
  * emulated - it has local behaviour (a table created with its indexes, a route served, ...);
  * inert - accepted and knowingly without local effect: permissions (IAM policies, Lambda permissions,
    bucket policies), encryption, retention, logging, tracing, alarms, throttling, deployment attributes.
    Listed in docs/local-runtime.md ("What is emulated"); they change nothing a function can observe
    locally except that nothing is denied or throttled;
  * everything else is reported at start, with the logical id and what is missing (`--strict`: a start
    error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Support:
    emulated: frozenset[str]
    inert: frozenset[str] = field(default_factory=frozenset)


def _support(emulated: str, inert: str = "") -> Support:
    return Support(frozenset(emulated.split()), frozenset(inert.split()))


_FUNCTION = _support(
    "CodeUri InlineCode Handler Runtime Timeout MemorySize Environment Layers Events FunctionName "
    "LoggingConfig EventInvokeConfig",
    # ReservedConcurrentExecutions: a throttle (local/functions.py caps workers per function on its own).
    "Policies Role Architectures Tracing Description Tags ReservedConcurrentExecutions",
)
RESOURCES: dict[str, Support] = {
    "AWS::Serverless::Function": _FUNCTION,
    "AWS::Lambda::Function": _support(
        "Code Handler Runtime Timeout MemorySize Environment Layers FunctionName LoggingConfig",
        "Role Architectures TracingConfig Description Tags",
    ),
    "AWS::Serverless::LayerVersion": _support(
        "ContentUri LayerName", "Description CompatibleRuntimes CompatibleArchitectures RetentionPolicy"
    ),
    "AWS::Lambda::LayerVersion": _support(
        "Content LayerName", "Description CompatibleRuntimes CompatibleArchitectures"
    ),
    "AWS::Lambda::EventInvokeConfig": _support(
        "FunctionName MaximumRetryAttempts DestinationConfig", "Qualifier MaximumEventAgeInSeconds"
    ),
    "AWS::Lambda::Permission": _support("", "Action FunctionName Principal SourceArn SourceAccount"),
    "AWS::Serverless::HttpApi": _support(
        "StageName Auth CorsConfiguration DefinitionBody DefinitionUri",
        "AccessLogSettings DefaultRouteSettings Description Tags",
    ),
    "AWS::Serverless::Api": _support(
        "StageName DefinitionBody DefinitionUri BinaryMediaTypes Variables Cors",
        "Name Description Tags AccessLogSetting MethodSettings TracingEnabled EndpointConfiguration "
        "CacheClusterEnabled CacheClusterSize MinimumCompressionSize OpenApiVersion Mode",
    ),
    "AWS::ApiGatewayV2::Api": _support("ProtocolType RouteSelectionExpression", "Name Description Tags"),
    "AWS::ApiGatewayV2::Stage": _support(
        "ApiId StageName", "AutoDeploy DefaultRouteSettings AccessLogSettings Description Tags"
    ),
    "AWS::ApiGatewayV2::Route": _support(
        "ApiId RouteKey Target AuthorizationType AuthorizerId RouteResponseSelectionExpression",
        "OperationName",
    ),
    "AWS::ApiGatewayV2::Integration": _support("ApiId IntegrationType IntegrationUri", "Description"),
    "AWS::ApiGatewayV2::Authorizer": _support("ApiId AuthorizerType AuthorizerUri IdentitySource", "Name"),
    "AWS::ApiGatewayV2::RouteResponse": _support("ApiId RouteId RouteResponseKey"),
    "AWS::ApiGatewayV2::Deployment": _support("", "ApiId Description StageName"),
    "AWS::DynamoDB::Table": _support(
        "TableName AttributeDefinitions KeySchema GlobalSecondaryIndexes LocalSecondaryIndexes "
        "StreamSpecification "
        "TimeToLiveSpecification",
        "BillingMode ProvisionedThroughput PointInTimeRecoverySpecification SSESpecification Tags "
        "DeletionProtectionEnabled TableClass",
    ),
    "AWS::Serverless::SimpleTable": _support(
        "PrimaryKey TableName", "ProvisionedThroughput SSESpecification Tags"
    ),
    # LifecycleConfiguration: expiry after days, which no local run lasts (the privacy exports' 7 days).
    "AWS::S3::Bucket": _support(
        "BucketName CorsConfiguration VersioningConfiguration NotificationConfiguration",
        "BucketEncryption OwnershipControls PublicAccessBlockConfiguration Tags LifecycleConfiguration "
        "LoggingConfiguration",
    ),
    "AWS::S3::BucketPolicy": _support("", "Bucket PolicyDocument"),
    "AWS::SQS::QueuePolicy": _support("", "Queues PolicyDocument"),
    # Alarms, their topic's mail subscriptions and dashboards watch AWS's metrics: there are none locally.
    "AWS::CloudWatch::Dashboard": _support("", "DashboardName DashboardBody"),
    "AWS::SQS::Queue": _support(
        "DelaySeconds MaximumMessageSize MessageRetentionPeriod ReceiveMessageWaitTimeSeconds "
        "VisibilityTimeout QueueName RedrivePolicy",
        "SqsManagedSseEnabled KmsMasterKeyId Tags",
    ),
    "AWS::SNS::Topic": _support("TopicName", "DisplayName KmsMasterKeyId Tags FifoTopic"),
    "AWS::SNS::Subscription": _support("TopicArn Protocol Endpoint FilterPolicy FilterPolicyScope"),
    "AWS::SecretsManager::Secret": _support(
        "Name SecretString GenerateSecretString", "Description Tags KmsKeyId"
    ),
    # Sends from any address succeed locally (the sender is verified on the fly), as once this identity is.
    "AWS::SES::EmailIdentity": _support("EmailIdentity"),
    "AWS::IAM::ManagedPolicy": _support("", "Description PolicyDocument ManagedPolicyName Roles Path"),
    "AWS::IAM::Role": _support("", "AssumeRolePolicyDocument Policies ManagedPolicyArns Path RoleName Tags"),
    "AWS::IAM::Policy": _support("", "PolicyDocument PolicyName Roles"),
    "AWS::Logs::LogGroup": _support("LogGroupName", "RetentionInDays Tags"),
    "AWS::CloudWatch::Alarm": _support(
        "",
        "AlarmDescription AlarmName ComparisonOperator Dimensions EvaluationPeriods MetricName Namespace "
        "Period Statistic Threshold TreatMissingData AlarmActions OKActions Metrics DatapointsToAlarm "
        "InsufficientDataActions ActionsEnabled",
    ),
    "AWS::Serverless::StateMachine": _support(
        "Definition DefinitionUri DefinitionSubstitutions Name Type", "Policies Role Tracing Logging"
    ),
    "AWS::StepFunctions::StateMachine": _support(
        "Definition DefinitionString DefinitionSubstitutions StateMachineName StateMachineType",
        "RoleArn TracingConfiguration LoggingConfiguration",
    ),
    "AWS::Events::Rule": _support(
        "ScheduleExpression EventPattern EventBusName Targets State Name", "Description RoleArn"
    ),
    "AWS::Scheduler::Schedule": _support(
        "ScheduleExpression Target State", "FlexibleTimeWindow Description Name"
    ),
}
RESOURCE_ATTRIBUTES = _support(
    "Type Properties Condition", "DeletionPolicy UpdateReplacePolicy Metadata DependsOn"
)
EVENTS: dict[str, Support] = {
    "HttpApi": _support("ApiId Path Method Auth PayloadFormatVersion"),
    "Api": _support("Path Method RestApiId"),
    # DeadLetterConfig / RetryPolicy: EventBridge's delivery to Lambda, which cannot fail locally (a failing
    # function is Lambda's EventInvokeConfig, emulated by local/destinations.py).
    "Schedule": _support("Schedule Input Enabled State", "Description Name DeadLetterConfig RetryPolicy"),
    "ScheduleV2": _support("ScheduleExpression Input State", "Description Name FlexibleTimeWindow"),
    "SQS": _support(
        "Queue BatchSize MaximumBatchingWindowInSeconds FunctionResponseTypes Enabled",
    ),
    "SNS": _support("Topic FilterPolicy FilterPolicyScope"),
    "S3": _support("Bucket Events Filter"),
    "EventBridgeRule": _support("Pattern EventBusName Input InputPath RuleName State Target"),
    "CloudWatchEvent": _support("Pattern EventBusName Input InputPath State"),
    "DynamoDB": _support(
        "Stream StartingPosition BatchSize MaximumBatchingWindowInSeconds FilterCriteria "
        "MaximumRetryAttempts MaximumRecordAgeInSeconds BisectBatchOnFunctionError FunctionResponseTypes "
        "DestinationConfig Enabled"
    ),
}
SECTIONS = _support(
    "AWSTemplateFormatVersion Description Transform Parameters Mappings Conditions Globals Resources",
    "Outputs Metadata",
)
TRANSFORMS = frozenset({"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"})
INTRINSICS = _support(
    "Ref Condition Fn::GetAtt Fn::Sub Fn::Join Fn::Select Fn::Split Fn::If Fn::FindInMap Fn::Equals Fn::Not "
    "Fn::And Fn::Or"
).emulated


@dataclass(frozen=True)
class Report:
    logical_id: str  # or the template section
    missing: str

    def __str__(self) -> str:
        return f"{self.logical_id}: {self.missing}"


def _intrinsics(node: Any, where: str, reports: list[Report]) -> None:
    if isinstance(node, list):
        for item in node:
            _intrinsics(item, where, reports)
    elif isinstance(node, dict):
        if len(node) == 1:
            (key,) = node
            if (key.startswith("Fn::") or key == "Ref") and key not in INTRINSICS:
                reports.append(Report(where, f"intrinsic {key} is not emulated"))
        for value in node.values():
            _intrinsics(value, where, reports)
    elif isinstance(node, str) and "{{resolve:" in node and "{{resolve:secretsmanager:" not in node:
        reports.append(Report(where, "dynamic references other than {{resolve:secretsmanager:...}}"))


def _properties(
    props: dict[str, Any], support: Support, what: str, where: str, reports: list[Report]
) -> None:
    for name, value in props.items():
        if name in support.emulated:
            _intrinsics(value, where, reports)
        elif name not in support.inert:
            reports.append(Report(where, f"{what} property {name} is not emulated"))


def check(template: dict[str, Any]) -> list[Report]:
    """Everything in `template` (after Fn::ForEach expansion) the runtime neither emulates nor knowingly
    treats as inert."""
    reports: list[Report] = []
    for section in template:
        if section not in SECTIONS.emulated | SECTIONS.inert:
            reports.append(Report(section, "template section is not emulated"))
    transform = template.get("Transform") or []
    for name in [transform] if isinstance(transform, str) else transform:
        if name not in TRANSFORMS:
            reports.append(Report("Transform", f"{name} is not emulated"))
    for section, values in (template.get("Globals") or {}).items():
        if section != "Function":
            reports.append(Report("Globals", f"Globals.{section} is not applied locally"))
        else:
            _properties(values or {}, _FUNCTION, "Globals.Function", "Globals", reports)
    for lid, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type", "")
        support = RESOURCES.get(kind)
        if support is None:
            reports.append(Report(lid, f"resource type {kind} is not emulated"))
            continue
        for attribute in resource:
            if attribute not in RESOURCE_ATTRIBUTES.emulated | RESOURCE_ATTRIBUTES.inert:
                reports.append(Report(lid, f"resource attribute {attribute} is not emulated"))
        props = resource.get("Properties") or {}
        _properties(props, support, kind, lid, reports)
        reports += _partial(lid, kind, props)
        events = (props.get("Events") or {}) if kind == "AWS::Serverless::Function" else {}
        for name, event in events.items():
            where = f"{lid} (Events.{name})"
            event_support = EVENTS.get(event.get("Type", ""))
            if event_support is None:
                reports.append(Report(where, f"event type {event.get('Type')} is not emulated"))
            else:
                reports += _partial_event(where, event.get("Type", ""), event.get("Properties") or {})
                _properties(
                    event.get("Properties") or {}, event_support, f"{event['Type']} event", where, reports
                )
        if kind in FUNCTION_RUNTIME_TYPES:
            runtime = props.get("Runtime", (template.get("Globals") or {}).get("Function", {}).get("Runtime"))
            reports.extend(runtime_reports(lid, runtime))
            logging_config = props.get("LoggingConfig") or {}
            for name in set(logging_config) - {
                "LogFormat",
                "ApplicationLogLevel",
                "SystemLogLevel",
                "LogGroup",
            }:
                reports.append(Report(lid, f"LoggingConfig.{name} is not emulated"))
        if kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            reports.extend(openapi_reports(lid, props.get("DefinitionBody")))
        if kind == "AWS::Serverless::StateMachine" and props.get("Events"):
            reports.append(Report(lid, "state machine Events are not triggered locally"))
    return reports


def _custom_bus(bus: Any) -> bool:
    return bus is not None and bus != "default" and not str(bus).endswith(":event-bus/default")


def _partial(lid: str, kind: str, props: dict[str, Any]) -> list[Report]:
    """Resources whose type is emulated but a part of this one is not."""
    reports = []
    if kind == "AWS::Events::Rule":
        if "ScheduleExpression" in props and "EventPattern" in props:
            reports.append(
                Report(lid, "rules with both ScheduleExpression and EventPattern are not emulated")
            )
        if _custom_bus(props.get("EventBusName")):
            reports.append(Report(lid, "custom event buses are not emulated (only the default bus)"))
        for index, target in enumerate(props.get("Targets") or []):
            for name in target:
                if name not in ("Id", "Arn", "Input", "InputPath", "RoleArn"):
                    reports.append(
                        Report(lid, f"rule target property {name} (Targets[{index}]) is not emulated")
                    )
    if kind == "AWS::S3::Bucket":
        for name in props.get("NotificationConfiguration") or {}:
            if name != "LambdaConfigurations":
                reports.append(Report(lid, f"bucket NotificationConfiguration.{name} is not emulated"))
    if kind == "AWS::Serverless::Function":
        invoke_config = props.get("EventInvokeConfig") or {}
        for name in set(invoke_config) - {"MaximumRetryAttempts", "DestinationConfig"}:
            reports.append(Report(lid, f"EventInvokeConfig.{name} is not emulated"))
        destinations = invoke_config.get("DestinationConfig") or {}
        if "OnSuccess" in destinations or (destinations.get("OnFailure") or {}).get("Type", "SQS") != "SQS":
            reports.append(
                Report(lid, "EventInvokeConfig destinations other than OnFailure SQS are not emulated")
            )
    # An operator's mail subscription (alarms) has nothing to deliver locally.
    if kind == "AWS::SNS::Subscription" and props.get("Protocol") not in ("lambda", "email", "email-json"):
        reports.append(
            Report(lid, f"SNS subscriptions with Protocol {props.get('Protocol')} are not emulated")
        )
    return reports


def _partial_event(where: str, kind: str, props: dict[str, Any]) -> list[Report]:
    if kind in ("EventBridgeRule", "CloudWatchEvent") and _custom_bus(props.get("EventBusName")):
        return [Report(where, "custom event buses are not emulated (only the default bus)")]
    return []


FUNCTION_RUNTIME_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def runtime_reports(lid: str, runtime: Any) -> list[Report]:
    """Functions run on the host's Python. A python3.X runtime with X up to the host's is honoured (code
    written for an older Python runs on a newer one); a newer Python, or any other language, is not."""
    import sys

    if runtime is None or not isinstance(runtime, str):
        return []  # the default (python3.11, what SAM's Globals give here) or an intrinsic (checked above)
    host = sys.version_info
    if runtime.startswith("python3."):
        try:
            minor = int(runtime.removeprefix("python3."))
        except ValueError:
            minor = None
        if minor is not None and minor <= host.minor:
            return []
        return [
            Report(
                lid,
                f"Runtime {runtime} is not honoured: functions run on the host's Python {host.major}."
                f"{host.minor}",
            )
        ]
    return [Report(lid, f"Runtime {runtime} is not emulated (Python functions only); invocations fail")]


OPENAPI_KEYS = frozenset(
    {
        "openapi",
        "swagger",
        "info",
        "paths",
        "servers",
        "tags",
        "components",
        "definitions",
        "externalDocs",
        "x-amazon-apigateway-binary-media-types",
    }
)


def openapi_reports(lid: str, document: Any) -> list[Report]:
    """A DefinitionBody's operations are served when they are Lambda proxy integrations; whatever else
    changes API Gateway's behaviour (other integrations, authorizers, validators, policies) is reported."""
    from local.apis import INTEGRATION, OPENAPI_METHODS, is_lambda_proxy

    if not isinstance(document, dict):
        return []
    reports = []
    for key in document:
        if key == "security" or (key.startswith("x-amazon-apigateway-") and key not in OPENAPI_KEYS):
            reports.append(Report(lid, f"DefinitionBody {key} is not emulated"))
    schemes = (document.get("components") or {}).get("securitySchemes") or document.get("securityDefinitions")
    if schemes:
        reports.append(Report(lid, "DefinitionBody security schemes (authorizers) are not emulated"))
    for path, operations in (document.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method.lower() not in OPENAPI_METHODS or not isinstance(operation, dict):
                continue
            where = f"paths.{path}.{method}"
            integration = operation.get(INTEGRATION)
            if not is_lambda_proxy(integration):
                kind = integration.get("type") if isinstance(integration, dict) else None
                reports.append(Report(lid, f"DefinitionBody {where}: integration {kind} is not emulated"))
            for key in operation:
                if key == "security" or (key.startswith("x-amazon-apigateway-") and key != INTEGRATION):
                    reports.append(Report(lid, f"DefinitionBody {where}: {key} is not emulated"))
    return reports
