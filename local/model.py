"""The application as the local runtime sees it: template.yaml, parameters applied, intrinsics resolved.

`AppModel.load(...)` reads the template and `Resolver` turns `!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!Select`,
`!Split`, `!If`, `!FindInMap` and `{{resolve:secretsmanager:...}}` into local values. Anything it cannot
resolve raises `TemplateError` naming the resource, so a template the runtime does not understand fails at
start instead of handing a function a half-resolved environment.

Plugins (WebSocket, Step Functions, streams) extend resolution with `Resolver.register_ref/register_getatt`
and read `AppModel.functions[...].events` for the event types they own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.template import (
    TABLE_TYPES,
    expand_language_extensions,
    local_bucket_name,
    read_template,
    resources_of_type,
)

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
HTTP_API_TYPES = ("AWS::Serverless::HttpApi",)
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
IMPLICIT_HTTP_API = "ServerlessHttpApi"  # SAM's name for the API of HttpApi events without ApiId


class TemplateError(Exception):
    """The template uses something the local runtime cannot reproduce (message names the resource)."""


# --- parameters -------------------------------------------------------------------------------------------
def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """`K=V` items like `sam --parameter-overrides`: separate arguments or one "K=V K2=V2" string.
    Also accepts SAM's `ParameterKey=K,ParameterValue=V` form."""
    result: dict[str, str] = {}
    for item in items or []:
        tokens: list[str] = []
        for token in _split_override_string(item):
            # "Greeting=hi there" as one argument: a word that is not K=V continues the previous value.
            if tokens and not re.match(r"^[A-Za-z0-9]+=", token):
                tokens[-1] += f" {token}"
            else:
                tokens.append(token)
        for token in tokens:
            match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", token)
            if match:
                key, value = match.group(1), match.group(2)
            elif "=" in token:
                key, value = token.split("=", 1)
            else:
                raise TemplateError(f"parameter override {token!r} is not K=V")
            result[key.strip()] = value
    return result


def _split_override_string(text: str) -> list[str]:
    """Split on spaces outside quotes, dropping the quotes: `A=1 B="x y"` -> ["A=1", "B=x y"]."""
    tokens, current, quote = [], [], None
    for char in text:
        if quote:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif char in "\"'":
            quote = char
        elif char.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    declared = template.get("Parameters", {}) or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameter override for undeclared parameter(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default; pass --parameter-overrides {name}=...")
        raw = str(raw) if not isinstance(raw, list) else ",".join(map(str, raw))
        kind = spec.get("Type", "String")
        if kind == "Number":
            try:
                float(raw)
            except ValueError:
                raise TemplateError(f"parameter {name} must be a Number, got {raw!r}") from None
            for bound, check in (("MinValue", lambda v, b: v >= b), ("MaxValue", lambda v, b: v <= b)):
                if bound in spec and not check(float(raw), float(spec[bound])):
                    raise TemplateError(f"parameter {name}={raw} violates {bound} {spec[bound]}")
        allowed = spec.get("AllowedValues")
        if allowed and raw not in [str(v) for v in allowed]:
            raise TemplateError(f"parameter {name}={raw!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, raw):
            raise TemplateError(f"parameter {name}={raw!r} does not match {pattern}")
        values[name] = raw.split(",") if kind in ("CommaDelimitedList", "List<Number>") else raw
    return values


# --- intrinsic functions ----------------------------------------------------------------------------------
RefHandler = Callable[[str, dict[str, Any]], Any]
GetAttHandler = Callable[[str, dict[str, Any], str], Any]
_DYNAMIC_REF = re.compile(r"\{\{resolve:([a-z-]+):([^}]*)\}\}")


def short_id(logical_id: str, length: int = 10) -> str:
    """A stable API-id-like token (lowercase alphanumerics) for a resource."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:length]


class Resolver:
    def __init__(self, template: dict[str, Any], parameters: dict[str, Any], region: str = REGION) -> None:
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {}) or {}
        self.parameters = parameters
        self.region = region
        self.account = ACCOUNT_ID
        self.secret_arns: dict[str, str] = {}  # logical id -> ARN, filled once moto created them
        self.secret_reader: Callable[[str], str] | None = None  # secret id -> SecretString
        self._refs: dict[str, RefHandler] = {}
        self._getatts: dict[str, GetAttHandler] = {}
        self._conditions: dict[str, bool] = {}
        self._rewrites: list[Callable[[str], str]] = []
        self._register_defaults()

    # Plugins override or add resource types here (e.g. a state machine's real ARN, a WebSocket URL).
    def register_ref(self, resource_type: str, handler: RefHandler) -> None:
        self._refs[resource_type] = handler

    def register_getatt(self, resource_type: str, handler: GetAttHandler) -> None:
        self._getatts[resource_type] = handler

    def add_rewrite(self, rewrite: Callable[[str], str]) -> None:
        """Applied to every string value resolution produces (at every level): how a plugin or component turns
        an AWS URL (a WebSocket API, Stripe's API) into its local one."""
        self._rewrites.append(rewrite)

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"
        )

    def _register_defaults(self) -> None:
        prop = self._prop_or

        def function_name(lid: str, res: dict[str, Any]) -> str:
            return prop(lid, res, "FunctionName", lid)

        def table_name(lid: str, res: dict[str, Any]) -> str:
            # An explicit TableName (SimpleTable: TableName too), else the logical id (local/template.py).
            return prop(lid, res, "TableName", lid)

        def state_machine_name(lid: str, res: dict[str, Any]) -> str:
            return prop(lid, res, "Name", prop(lid, res, "StateMachineName", lid))

        for kind in TABLE_TYPES:
            self._refs[kind] = table_name
            self._getatts[kind] = lambda lid, res, attr: self._table_attr(table_name(lid, res), lid, attr)
        self._refs["AWS::S3::Bucket"] = lambda lid, res: prop(lid, res, "BucketName", local_bucket_name(lid))
        self._getatts["AWS::S3::Bucket"] = self._bucket_attr
        self._refs["AWS::SecretsManager::Secret"] = self._secret_ref
        for kind in FUNCTION_TYPES:
            self._refs[kind] = function_name
            self._getatts[kind] = lambda lid, res, attr: self._only_arn(
                lid, attr, self.arn("lambda", f"function:{function_name(lid, res)}")
            )
        for kind in LAYER_TYPES:
            self._refs[kind] = lambda lid, res: self.arn(
                "lambda", f"layer:{prop(lid, res, 'LayerName', lid)}:1"
            )
        for kind in STATE_MACHINE_TYPES:
            self._refs[kind] = lambda lid, res: self.arn(
                "states", f"stateMachine:{state_machine_name(lid, res)}"
            )
            self._getatts[kind] = lambda lid, res, attr: (
                state_machine_name(lid, res)
                if attr == "Name"
                else self._only_arn(
                    lid, attr, self.arn("states", f"stateMachine:{state_machine_name(lid, res)}")
                )
            )
        api_types = (*HTTP_API_TYPES, "AWS::ApiGatewayV2::Api", "AWS::Serverless::Api")
        for kind in api_types:
            self._refs[kind] = lambda lid, res: short_id(lid)
            self._getatts[kind] = lambda lid, res, attr: self._api_attr(lid, attr)
        self._refs["AWS::Logs::LogGroup"] = lambda lid, res: prop(lid, res, "LogGroupName", f"/local/{lid}")
        self._getatts["AWS::Logs::LogGroup"] = lambda lid, res, attr: self._only_arn(
            lid, attr, self.arn("logs", f"log-group:{self._refs['AWS::Logs::LogGroup'](lid, res)}:*")
        )
        self._refs["AWS::IAM::ManagedPolicy"] = lambda lid, res: self.arn(
            "iam", f"policy/{lid}", region=False
        )
        self._refs["AWS::IAM::Role"] = lambda lid, res: lid
        self._getatts["AWS::IAM::Role"] = lambda lid, res, attr: self._only_arn(
            lid, attr, self.arn("iam", f"role/{lid}", region=False)
        )
        self._refs["AWS::SNS::Topic"] = lambda lid, res: self.arn("sns", prop(lid, res, "TopicName", lid))
        self._getatts["AWS::SNS::Topic"] = lambda lid, res, attr: (
            prop(lid, res, "TopicName", lid)
            if attr == "TopicName"
            else self._refs["AWS::SNS::Topic"](lid, res)
            if attr == "TopicArn"
            else self._only_arn(lid, attr, "")
        )

        def queue_name(lid: str, res: dict[str, Any]) -> str:
            return prop(lid, res, "QueueName", lid)  # as CloudFormation names it (logical id locally)

        self._refs["AWS::SQS::Queue"] = lambda lid, res: (
            f"https://sqs.{self.region}.amazonaws.com/{self.account}/{queue_name(lid, res)}"
        )
        self._getatts["AWS::SQS::Queue"] = lambda lid, res, attr: (
            queue_name(lid, res)
            if attr == "QueueName"
            else self._only_arn(lid, attr, self.arn("sqs", queue_name(lid, res)))
        )
        self._refs["AWS::Events::Rule"] = lambda lid, res: lid
        self._refs["AWS::Scheduler::Schedule"] = lambda lid, res: lid

    def _prop_or(self, lid: str, res: dict[str, Any], name: str, default: str) -> str:
        value = (res.get("Properties") or {}).get(name)
        return default if value is None else str(self.resolve(value, lid))

    def _only_arn(self, lid: str, attr: str, arn: str) -> str:
        if attr != "Arn":
            raise TemplateError(f"{lid}: attribute {attr} is not supported locally (only Arn)")
        return arn

    def _table_attr(self, name: str, lid: str, attr: str) -> str:
        table_arn = self.arn("dynamodb", f"table/{name}")
        if attr == "Arn":
            return table_arn
        if attr == "StreamArn":
            return f"{table_arn}/stream/local"
        raise TemplateError(f"{lid}: table attribute {attr} is not supported locally")

    def _bucket_attr(self, lid: str, res: dict[str, Any], attr: str) -> str:
        name = self._refs["AWS::S3::Bucket"](lid, res)
        values = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }
        if attr not in values:
            raise TemplateError(f"{lid}: bucket attribute {attr} is not supported locally")
        return values[attr]

    def _api_attr(self, lid: str, attr: str) -> str:
        if attr == "ApiId":
            return short_id(lid)
        if attr == "ApiEndpoint":
            return f"https://{short_id(lid)}.execute-api.{self.region}.amazonaws.com"
        raise TemplateError(f"{lid}: API attribute {attr} is not supported locally")

    def _secret_ref(self, lid: str, res: dict[str, Any]) -> str:
        if lid not in self.secret_arns:
            raise TemplateError(f"{lid}: secret referenced before it was created")
        return self.secret_arns[lid]

    # --- evaluation -------------------------------------------------------------------------------------
    def condition(self, name: str, where: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {}) or {}
            if name not in conditions:
                raise TemplateError(f"{where}: unknown condition {name}")
            self._conditions[name] = bool(self._eval_condition(conditions[name], name))
        return self._conditions[name]

    def _eval_condition(self, node: Any, where: str) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(x, where) for x in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._eval_condition(arg[0], where)
            if key == "Fn::And":
                return all(self._eval_condition(x, where) for x in arg)
            if key == "Fn::Or":
                return any(self._eval_condition(x, where) for x in arg)
            if key == "Condition":
                return self.condition(arg, where)
        return self.resolve(node, where)

    def resolve(self, node: Any, where: str) -> Any:
        """Resolve every intrinsic inside `node`. `where` names the resource for error messages."""
        value = self._resolve(node, where)
        if isinstance(value, str):
            for rewrite in self._rewrites:
                value = rewrite(value)
        return value

    def _resolve(self, node: Any, where: str) -> Any:
        if isinstance(node, list):
            return [self.resolve(item, where) for item in node]
        if isinstance(node, str):
            return self._dynamic_refs(node, where)
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg, where)
            if key.startswith("Fn::") or key == "Condition":
                return self._intrinsic(key, arg, where)
        return {key: self.resolve(value, where) for key, value in node.items()}

    def ref(self, name: str, where: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": "pitchey-local",
            "AWS::StackId": self.arn("cloudformation", "stack/pitchey-local/local"),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None and name in ("ServerlessRestApi", IMPLICIT_HTTP_API):
            return short_id(name)  # the API SAM creates for events without an explicit API
        if resource is None:
            raise TemplateError(f"{where}: !Ref {name} names no parameter or resource")
        handler = self._refs.get(resource.get("Type", ""))
        if handler is None:
            raise TemplateError(f"{where}: !Ref {name} ({resource.get('Type')}) is not supported locally")
        return handler(name, resource)

    def getatt(self, name: str, attr: str, where: str) -> Any:
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"{where}: !GetAtt {name}.{attr} names no resource")
        handler = self._getatts.get(resource.get("Type", ""))
        if handler is None:
            raise TemplateError(
                f"{where}: !GetAtt {name}.{attr} ({resource.get('Type')}) is not supported locally"
            )
        try:
            return handler(name, resource, attr)
        except TemplateError as error:
            raise TemplateError(f"{where}: !GetAtt {name}.{attr}: {error}") from None

    def _intrinsic(self, key: str, arg: Any, where: str) -> Any:
        if key == "Fn::GetAtt":
            name, attr = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.getatt(self.resolve(name, where), self.resolve(attr, where), where)
        if key == "Fn::Sub":
            return self._sub(arg, where)
        if key == "Fn::Join":
            separator, items = arg
            values = self.resolve(items, where)
            return str(separator).join(str(v) for v in values if v is not None)
        if key == "Fn::Select":
            index, items = (self.resolve(x, where) for x in arg)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = (self.resolve(x, where) for x in arg)
            return str(text).split(separator)
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name, where) else when_false, where)
        if key == "Fn::FindInMap":
            map_name, top, second = (self.resolve(x, where) for x in arg)
            try:
                return self.template["Mappings"][map_name][top][second]
            except KeyError:
                raise TemplateError(f"{where}: !FindInMap {map_name}/{top}/{second} not found") from None
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            return self._eval_condition({key: arg}, where)
        raise TemplateError(f"{where}: intrinsic {key} is not supported by the local runtime")

    def _sub(self, arg: Any, where: str) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v, where) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"  # ${!Literal} escapes
            if expression in variables:
                value = variables[expression]
            elif "." in expression and not expression.startswith("AWS::"):
                name, attr = expression.split(".", 1)
                value = self.getatt(name, attr, where)
            else:
                value = self.ref(expression, where)
            if isinstance(value, list):
                raise TemplateError(f"{where}: !Sub ${{{expression}}} is a list")
            return str(value)

        substituted = re.sub(r"\$\{([^}]+)\}", replace, str(text))
        return self._dynamic_refs(substituted, where)

    def _dynamic_refs(self, text: str, where: str) -> str:
        if "{{resolve:" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            service, reference = match.group(1), match.group(2)
            if service != "secretsmanager":
                raise TemplateError(f"{where}: dynamic reference resolve:{service} is not supported locally")
            return self._secret_value(reference, where)

        return _DYNAMIC_REF.sub(replace, text)

    def _secret_value(self, reference: str, where: str) -> str:
        import json

        parts = reference.split(":")
        # The secret id is an ARN (7 colon-separated parts) or a name.
        secret_id, rest = (
            (":".join(parts[:7]), parts[7:]) if reference.startswith("arn:") else (parts[0], parts[1:])
        )
        if rest and rest[0] not in ("SecretString", ""):
            raise TemplateError(f"{where}: {{{{resolve:secretsmanager:{reference}}}}} must use SecretString")
        json_key = rest[1] if len(rest) > 1 and rest[1] else None
        if self.secret_reader is None:
            raise TemplateError(f"{where}: secrets are not available yet")
        try:
            secret = self.secret_reader(secret_id)
        except Exception as error:
            raise TemplateError(f"{where}: secret {secret_id} cannot be read: {error}") from None
        if json_key is None:
            return secret
        try:
            return str(json.loads(secret)[json_key])
        except (ValueError, KeyError, TypeError):
            raise TemplateError(f"{where}: secret {secret_id} has no JSON key {json_key}") from None


# --- the application --------------------------------------------------------------------------------------
@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: float
    memory_mb: int
    layer_dirs: list[Path]
    environment: dict[str, str]
    events: dict[str, dict[str, Any]]  # raw event definitions (Type + Properties), plugins read their own
    log_format: str = "Text"  # LoggingConfig.LogFormat
    log_level: str | None = None  # LoggingConfig.ApplicationLogLevel (JSON format only, as on Lambda)
    description: str = ""
    log_group: str = ""  # LoggingConfig.LogGroup, or Lambda's default /aws/lambda/<name>
    role_arn: str = ""  # Role, or the one SAM would create (<LogicalId>Role)


@dataclass
class Authorizer:
    name: str
    function: str  # logical id of the authorizer function
    identity_headers: list[str]
    identity_query: list[str]
    ttl_seconds: int
    simple_responses: bool
    payload_version: str


@dataclass
class Route:
    method: str  # upper case, or "ANY"; "$default" route has method "ANY" and path None
    path: str | None
    function: str
    event_name: str
    authorizer: str | None  # authorizer name, None = public
    payload_version: str = "2.0"  # "1.0" for REST APIs and HttpApi routes that ask for it

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"


@dataclass
class Cors:
    allow_origins: list[str]
    allow_headers: list[str]
    allow_methods: list[str]
    expose_headers: list[str]
    max_age: int | None
    allow_credentials: bool


@dataclass
class HttpApi:
    logical_id: str
    api_id: str
    stage: str
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    cors: Cors | None = None
    default_authorizer: str | None = None
    kind: str = "http"  # "rest": an AWS::Serverless::Api (local/apis.py), served under /<stage>
    binary_media_types: list[str] = field(default_factory=list)  # REST: bodies passed base64
    stage_variables: dict[str, str] = field(default_factory=dict)  # REST: the stage's Variables
    rest_cors: dict[str, str] | None = None  # REST: SAM's Cors, values unquoted (local/apis.py)


@dataclass
class Schedule:
    name: str  # event name (SAM) or resource logical id (AWS::Events::Rule / AWS::Scheduler::Schedule)
    function: str
    expression: str
    input: Any  # None = EventBridge's scheduled-event payload
    enabled: bool
    rule_arn: str


def _merge_globals(template: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals: maps merge (function wins), lists (Layers) concatenate, scalars are overridden."""
    merged = dict((template.get("Globals") or {}).get("Function") or {})
    for key, value in props.items():
        if key == "Environment" and "Environment" in merged:
            variables = dict((merged["Environment"] or {}).get("Variables") or {})
            variables.update((value or {}).get("Variables") or {})
            merged["Environment"] = {"Variables": variables}
        elif key == "Layers" and "Layers" in merged:
            merged["Layers"] = list(merged["Layers"]) + list(value or [])
        else:
            merged[key] = value
    return merged


def layer_dir(template: dict[str, Any], root: Path, layer: Any, lid: str) -> Path:
    """The `python/` directory (Lambda's /opt/python) of a layer of function `lid`: a `!Ref` to a
    LayerVersion of the template with a local ContentUri."""
    if isinstance(layer, dict) and "Ref" in layer:
        target = template["Resources"].get(layer["Ref"])
        if target and target.get("Type") in LAYER_TYPES:
            props = target.get("Properties") or {}
            content = props.get("ContentUri") or props.get("Content")
            if isinstance(content, str):
                return (root / content / "python").resolve()
    raise TemplateError(f"{lid}: layer {layer!r} is not a local LayerVersion of this template")


def function_layer_dirs(template: dict[str, Any], root: Path, lid: str) -> list[Path]:
    """The layer directories of function `lid`, Globals' first (SAM appends the function's own)."""
    props = _merge_globals(template, template["Resources"][lid].get("Properties") or {})
    return [layer_dir(template, root, layer, lid) for layer in props.get("Layers") or []]


def env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


class AppModel:
    """Everything the runtime serves, resolved. Build with `AppModel.load`, then `resolve_all()` once
    secrets exist (dynamic references need them)."""

    def __init__(self, template: dict[str, Any], root: Path, overrides: dict[str, str], region: str = REGION):
        self.template = template
        self.root = root
        self.parameters = parameter_values(template, overrides)
        self.resolver = Resolver(template, self.parameters, region)
        self.functions: dict[str, FunctionSpec] = {}
        self.apis: list[HttpApi] = []
        self.rest_apis: list[HttpApi] = []  # local/apis.py
        self.schedules: list[Schedule] = []
        self.inline_dir: Path | None = None  # where InlineCode is written (a temporary directory)

    @classmethod
    def load(
        cls,
        template_path: Path | str,
        overrides: dict[str, str] | None = None,
        local_defaults: dict[str, str] | None = None,
    ) -> AppModel:
        """`local_defaults`: values the local runtime gives declared parameters that are not overridden
        (e.g. the development-only Stripe webhook secret)."""
        path = Path(template_path).resolve()
        written = read_template(path)
        declared = written.get("Parameters") or {}
        values = {k: v for k, v in (local_defaults or {}).items() if k in declared} | (overrides or {})
        # Fn::ForEach collections may name parameters: expand with the values this run uses.
        template = expand_language_extensions(written, parameter_values(written, values))
        return cls(template, path.parent, values)

    # --- resources ----------------------------------------------------------------------------------------
    def resources(self, *types: str) -> dict[str, dict[str, Any]]:
        """Resources of these types whose Condition (if any) holds."""
        return {
            lid: res
            for lid, res in resources_of_type(self.template, *types).items()
            if "Condition" not in res or self.resolver.condition(res["Condition"], lid)
        }

    @property
    def tables(self) -> list[str]:
        return list(self.resources(*TABLE_TYPES))

    @property
    def buckets(self) -> list[str]:
        return list(self.resources("AWS::S3::Bucket"))

    def function_by_name(self, name: str) -> FunctionSpec | None:
        """A function by logical id, function name, ARN or `name:qualifier` (as Lambda's Invoke accepts)."""
        if name.startswith("arn:"):
            name = name.split(":")[6]
        name = name.split(":")[0]
        if name in self.functions:
            return self.functions[name]
        return next((fn for fn in self.functions.values() if fn.name == name), None)

    # --- resolution ---------------------------------------------------------------------------------------
    def resolve_all(self) -> None:
        self.functions = {
            lid: self._function(lid, res) for lid, res in self.resources(*FUNCTION_TYPES).items()
        }
        self.apis = self._http_apis()
        from local.apis import rest_apis

        self.rest_apis = rest_apis(self)
        self.schedules = self._schedules()

    def _function(self, lid: str, resource: dict[str, Any]) -> FunctionSpec:
        props = _merge_globals(self.template, resource.get("Properties") or {})
        resolve = self.resolver.resolve
        if resource["Type"] == "AWS::Lambda::Function":
            code = props.get("Code") or {}
            code_uri = code if isinstance(code, str) else None
        else:
            code_uri = props.get("CodeUri")
        inline = props.get("InlineCode") if resource["Type"] != "AWS::Lambda::Function" else None
        if inline is None and isinstance(props.get("Code"), dict):
            inline = props["Code"].get("ZipFile")
        if inline is not None:
            code_dir = self._inline_code(lid, str(resolve(inline, f"{lid} (InlineCode)")))
        elif isinstance(code_uri, str):
            code_dir = (self.root / code_uri).resolve()
        else:
            raise TemplateError(f"{lid}: only a local CodeUri directory or InlineCode is supported")
        # A runtime the host cannot honour is a coverage report (local/coverage.py: runtime_report); an
        # invocation of a non-Python one fails with Runtime.InvalidRuntime (local/functions.py).
        runtime = str(resolve(props.get("Runtime", "python3.11"), lid))
        variables = ((props.get("Environment") or {}).get("Variables")) or {}
        environment = {}
        for key, value in variables.items():
            resolved = resolve(value, f"{lid} (Environment.{key})")
            if resolved is not None:  # AWS::NoValue drops the variable
                environment[key] = env_string(resolved)
        name = str(resolve(props.get("FunctionName", lid), lid))
        logging_config = resolve(props.get("LoggingConfig") or {}, lid)
        return FunctionSpec(
            logical_id=lid,
            name=name,
            arn=self.resolver.arn("lambda", f"function:{name}"),
            code_dir=code_dir,
            handler=str(resolve(props.get("Handler", ""), lid)),
            runtime=runtime,
            timeout=float(resolve(props.get("Timeout", 3), lid)),
            memory_mb=int(resolve(props.get("MemorySize", 128), lid)),
            layer_dirs=[self._layer_dir(layer, lid) for layer in props.get("Layers") or []],
            environment=environment,
            events=dict(props.get("Events") or {}),
            log_format=str(logging_config.get("LogFormat", "Text")),
            log_level=logging_config.get("ApplicationLogLevel"),
            description=str(resolve(props.get("Description", ""), lid)),
            log_group=str(logging_config.get("LogGroup") or f"/aws/lambda/{name}"),
            role_arn=str(
                resolve(props["Role"], lid)
                if "Role" in props
                else self.resolver.arn("iam", f"role/{lid}Role", region=False)
            ),
        )

    def _inline_code(self, lid: str, code: str) -> Path:
        """InlineCode (ZipFile) is written as `index.py` of its own directory, as CloudFormation does, so
        `Handler: index.handler` imports it."""
        import tempfile

        if self.inline_dir is None:
            self.inline_dir = Path(tempfile.mkdtemp(prefix="pitchey-local-inline-"))
        directory = self.inline_dir / lid
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "index.py").write_text(code, encoding="utf-8")
        return directory

    def _layer_dir(self, layer: Any, lid: str) -> Path:
        return layer_dir(self.template, self.root, layer, lid)

    def _function_of(self, arn_node: Any, where: str) -> str:
        """The logical id of the function an ARN expression (`!GetAtt Fn.Arn`, `!Ref Fn`, ARN) names."""
        if isinstance(arn_node, dict):
            if "Fn::GetAtt" in arn_node:
                target = arn_node["Fn::GetAtt"]
                name = target[0] if isinstance(target, list) else str(target).split(".")[0]
                if name in self.functions:
                    return name
            if "Ref" in arn_node and arn_node["Ref"] in self.functions:
                return arn_node["Ref"]
        resolved = self.resolver.resolve(arn_node, where)
        spec = self.function_by_name(str(resolved)) if resolved else None
        if spec is None:
            raise TemplateError(f"{where}: {arn_node!r} is not a function of this template")
        return spec.logical_id

    def _http_apis(self) -> list[HttpApi]:
        resolve = self.resolver.resolve
        apis: dict[str, HttpApi] = {}
        declared = self.resources(*HTTP_API_TYPES)
        for api_lid, res in declared.items():
            props = res.get("Properties") or {}
            api = HttpApi(
                api_lid, short_id(api_lid), str(resolve(props.get("StageName", "$default"), api_lid))
            )
            auth = props.get("Auth") or {}
            for name, spec in (auth.get("Authorizers") or {}).items():
                api.authorizers[name] = self._authorizer(api_lid, name, spec)
            default_authorizer = auth.get("DefaultAuthorizer")
            if default_authorizer and default_authorizer not in api.authorizers:
                raise TemplateError(f"{api_lid}: DefaultAuthorizer {default_authorizer} is not declared")
            api.default_authorizer = default_authorizer
            api.cors = self._cors(resolve(props.get("CorsConfiguration"), api_lid))
            from local.apis import definition, openapi_routes

            document = definition(self, api_lid, props)
            if document is not None:
                api.routes.extend(openapi_routes(self, api_lid, document, http_api=True))
            apis[api_lid] = api
        for fn in self.functions.values():
            for event_name, event in fn.events.items():
                if event.get("Type") != "HttpApi":
                    continue
                where = f"{fn.logical_id} (Events.{event_name})"
                props = event.get("Properties") or {}
                api_ref = props.get("ApiId")
                api_lid = (
                    api_ref["Ref"] if isinstance(api_ref, dict) and "Ref" in api_ref else IMPLICIT_HTTP_API
                )
                if api_lid not in apis:
                    if api_lid != IMPLICIT_HTTP_API:
                        raise TemplateError(f"{where}: ApiId {api_ref!r} is not an HttpApi of this template")
                    apis[api_lid] = HttpApi(api_lid, short_id(api_lid), "$default")
                api = apis[api_lid]
                version = str(resolve(props.get("PayloadFormatVersion", "2.0"), where))
                if version not in ("1.0", "2.0"):
                    raise TemplateError(f"{where}: PayloadFormatVersion {version} is not 1.0 or 2.0")
                authorizer = ((props.get("Auth") or {}).get("Authorizer")) or api.default_authorizer
                if authorizer == "NONE":
                    authorizer = None
                if authorizer and authorizer not in api.authorizers:
                    raise TemplateError(f"{where}: authorizer {authorizer} is not declared on {api_lid}")
                path = props.get("Path")
                method = str(resolve(props.get("Method", "ANY"), where)).upper() if path else "ANY"
                if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                    method = "ANY"
                api.routes.append(
                    Route(
                        method,
                        str(resolve(path, where)) if path else None,
                        fn.logical_id,
                        event_name,
                        authorizer,
                        version,
                    )
                )
        used = [api for api in apis.values() if api.routes]
        if len(used) > 1:
            raise TemplateError(
                f"only one HttpApi can be served locally; routes use {', '.join(a.logical_id for a in used)}"
            )
        for api in used:
            keys = [route.route_key for route in api.routes]
            duplicates = {key for key in keys if keys.count(key) > 1}
            if duplicates:
                raise TemplateError(f"{api.logical_id}: duplicate routes {sorted(duplicates)}")
        return used

    def _authorizer(self, api_lid: str, name: str, spec: dict[str, Any]) -> Authorizer:
        where = f"{api_lid} (Auth.Authorizers.{name})"
        if "JwtConfiguration" in spec or "FunctionArn" not in spec:
            raise TemplateError(f"{where}: only Lambda REQUEST authorizers are supported locally")
        identity = self.resolver.resolve(spec.get("Identity") or {}, where)
        version = str(self.resolver.resolve(spec.get("AuthorizerPayloadFormatVersion", "2.0"), where))
        simple = bool(self.resolver.resolve(spec.get("EnableSimpleResponses", False), where))
        if version != "2.0":
            raise TemplateError(f"{where}: authorizer payload format {version} is not supported (2.0 only)")
        return Authorizer(
            name=name,
            function=self._function_of(spec["FunctionArn"], where),
            identity_headers=list(identity.get("Headers") or []),
            identity_query=list(identity.get("QueryStrings") or []),
            ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
            simple_responses=simple,
            payload_version=version,
        )

    @staticmethod
    def _cors(config: Any) -> Cors | None:
        if not config:
            return None
        if config is True:
            return Cors(["*"], ["*"], ["*"], [], None, False)

        def as_list(value: Any) -> list[str]:
            if value is None:
                return []
            return [str(v) for v in (value if isinstance(value, list) else [value])]

        max_age = config.get("MaxAge")
        return Cors(
            allow_origins=as_list(config.get("AllowOrigins")),
            allow_headers=as_list(config.get("AllowHeaders")),
            allow_methods=as_list(config.get("AllowMethods")),
            expose_headers=as_list(config.get("ExposeHeaders")),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(config.get("AllowCredentials", False)),
        )

    def _schedules(self) -> list[Schedule]:
        resolve = self.resolver.resolve
        schedules: list[Schedule] = []
        for fn in self.functions.values():
            for event_name, event in fn.events.items():
                kind = event.get("Type")
                if kind not in ("Schedule", "ScheduleV2"):
                    continue
                where = f"{fn.logical_id} (Events.{event_name})"
                props = resolve(event.get("Properties") or {}, where)
                expression = props.get("Schedule") if kind == "Schedule" else props.get("ScheduleExpression")
                if kind == "Schedule":
                    enabled = props.get("Enabled", True) and props.get("State", "ENABLED") == "ENABLED"
                else:
                    enabled = props.get("State", "ENABLED") == "ENABLED"
                schedules.append(
                    self._schedule(event_name, fn.logical_id, expression, props.get("Input"), enabled, where)
                )
        for lid, res in self.resources("AWS::Events::Rule", "AWS::Scheduler::Schedule").items():
            if res["Type"] == "AWS::Events::Rule":
                props = res.get("Properties") or {}
                if "ScheduleExpression" not in props:
                    continue
                targets = props.get("Targets") or []
                enabled = resolve(props.get("State", "ENABLED"), lid) == "ENABLED"
            else:
                props = res.get("Properties") or {}
                targets = [props.get("Target") or {}]
                enabled = resolve(props.get("State", "ENABLED"), lid) == "ENABLED"
            for target in targets:
                try:
                    function = self._function_of(target.get("Arn"), lid)
                except TemplateError:
                    continue  # targets that are not our functions (e.g. a state machine) are a plugin's job
                schedules.append(
                    self._schedule(
                        lid,
                        function,
                        resolve(props["ScheduleExpression"], lid),
                        resolve(target.get("Input"), lid),
                        enabled,
                        lid,
                    )
                )
        return schedules

    def _schedule(
        self, name: str, function: str, expression: Any, raw_input: Any, enabled: bool, where: str
    ) -> Schedule:
        import json

        from local.schedules import parse_expression

        try:
            parse_expression(str(expression))
        except ValueError as error:
            raise TemplateError(f"{where}: {error}") from None
        payload = json.loads(raw_input) if isinstance(raw_input, str) else raw_input
        return Schedule(
            name,
            function,
            str(expression),
            payload,
            bool(enabled),
            self.resolver.arn("events", f"rule/{name}"),
        )

    def schedule(self, name: str) -> list[Schedule]:
        """Schedules by event/resource name, else every schedule of the function with that logical id."""
        by_name = [s for s in self.schedules if s.name == name]
        return by_name or [s for s in self.schedules if s.function == name]
