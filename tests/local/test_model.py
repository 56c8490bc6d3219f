"""Template model: parameters, intrinsics, Globals, routes, authorizers, CORS and schedules (no processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.model import AppModel, Resolver, TemplateError, parameter_values, parse_overrides
from local.template import TEMPLATE_PATH, load_template

FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


def fixture_model(overrides: dict[str, str] | None = None) -> AppModel:
    model = AppModel.load(FIXTURE, overrides)
    model.resolver.secret_arns["FixtureSecret"] = (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:Fix-AbCdEf"
    )
    model.resolver.secret_reader = lambda secret_id: json.dumps(
        {"user": "fixture", "signingKey": f"key-of-{secret_id}"}
    )
    model.resolve_all()
    return model


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["A=1", "B=two"], {"A": "1", "B": "two"}),
        (["A=1 B=two"], {"A": "1", "B": "two"}),
        (['A=1 B="x y"'], {"A": "1", "B": "x y"}),
        (["ParameterKey=A,ParameterValue=1"], {"A": "1"}),
        (["URL=http://x/?a=b"], {"URL": "http://x/?a=b"}),
        (["Greeting=hi there", "B=1"], {"Greeting": "hi there", "B": "1"}),
    ],
)
def test_parse_overrides_accepts_sam_forms(items: list[str], expected: dict[str, str]) -> None:
    assert parse_overrides(items) == expected


def test_parse_overrides_rejects_items_without_equals() -> None:
    with pytest.raises(TemplateError):
        parse_overrides(["oops"])
    with pytest.raises(TemplateError):
        parse_overrides(["A=1", "oops"])


def test_parameters_validate_type_range_and_names() -> None:
    template = {
        "Parameters": {
            "N": {"Type": "Number", "Default": 5, "MinValue": 1},
            "L": {"Type": "CommaDelimitedList", "Default": "a,b"},
        }
    }
    assert parameter_values(template, {}) == {"N": "5", "L": ["a", "b"]}
    with pytest.raises(TemplateError, match="Number"):
        parameter_values(template, {"N": "five"})
    with pytest.raises(TemplateError, match="MinValue"):
        parameter_values(template, {"N": "0"})
    with pytest.raises(TemplateError, match="undeclared"):
        parameter_values(template, {"Nope": "1"})


def test_function_environment_is_globals_plus_own_with_intrinsics_resolved() -> None:
    env = fixture_model({"Greeting": "hi"}).functions["EchoFunction"].environment
    assert env["GREETING"] == "overridden-by-function"  # the function's own value wins over Globals
    assert env["OWN_VAR"] == "own"
    assert env["ITEMS_TABLE"] == "ItemsTable"
    assert env["UPLOADS_BUCKET"] == "uploadsbucket"
    assert env["ITEMS_TABLE_ARN"] == "arn:aws:dynamodb:us-east-1:123456789012:table/ItemsTable"
    assert env["SUB_VALUE"] == "hi-us-east-1-ItemsTable"  # the override reached !Sub
    assert env["SIGNING_KEY"] == "key-of-arn:aws:secretsmanager:us-east-1:123456789012:secret:Fix-AbCdEf"
    assert env["IS_TEST"] == "yes"
    assert env["JOINED"] == "a:b:test"


def test_function_code_layers_timeout() -> None:
    model = fixture_model({"SlowTimeout": "2"})
    slow = model.functions["SlowFunction"]
    assert slow.timeout == 2.0
    assert slow.code_dir == FIXTURE.parent / "functions"
    assert slow.layer_dirs == [FIXTURE.parent / "layer" / "python"]
    assert slow.handler == "slow.handler"
    assert model.functions["EchoFunction"].memory_mb == 256


def test_routes_authorizer_and_cors() -> None:
    (api,) = fixture_model().apis
    keys = {route.route_key: route for route in api.routes}
    assert keys["GET /private"].authorizer == "Lambda"  # DefaultAuthorizer
    assert keys["GET /echo"].authorizer is None  # Auth: {Authorizer: NONE}
    assert keys["$default"].function == "EchoFunction"
    assert keys["ANY /files/{proxy+}"].method == "ANY"
    authorizer = api.authorizers["Lambda"]
    assert (authorizer.function, authorizer.identity_headers, authorizer.ttl_seconds) == (
        "AuthorizerFunction",
        ["Authorization"],
        300,
    )
    assert authorizer.simple_responses
    assert api.cors is not None and api.cors.allow_origins == [
        "https://app.example.com",
        "https://*.preview.example.com",
    ]
    assert api.stage == "test"


def test_schedules_from_schedule_and_schedulev2_events() -> None:
    model = fixture_model()
    by_name = {s.name: s for s in model.schedules}
    assert by_name["EveryFiveMinutes"].expression == "rate(5 minutes)"
    assert by_name["EveryFiveMinutes"].input is None
    assert by_name["NightlyReport"].input == {"job": "nightly"}
    assert {s.name for s in model.schedule("TickFunction")} == {"EveryFiveMinutes", "NightlyReport"}
    assert [s.name for s in model.schedule("NightlyReport")] == ["NightlyReport"]


def _resolver(resources: dict | None = None, **params: str) -> Resolver:
    template = {"Resources": resources or {}, "Mappings": {"M": {"k": {"v": "mapped"}}}}
    return Resolver(template, params)


def test_resolver_intrinsics() -> None:
    resolver = _resolver(
        {"Fn": {"Type": "AWS::Serverless::Function"}, "Q": {"Type": "AWS::SQS::Queue"}}, P="p"
    )
    assert resolver.resolve({"Fn::Sub": "${P}/${Fn.Arn}/${!Literal}"}, "X") == (
        "p/arn:aws:lambda:us-east-1:123456789012:function:Fn/${Literal}"
    )
    assert (
        resolver.resolve({"Fn::Sub": ["${a}-${P}", {"a": {"Ref": "AWS::AccountId"}}]}, "X")
        == "123456789012-p"
    )
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "X") == "b"
    assert resolver.resolve({"Fn::FindInMap": ["M", "k", "v"]}, "X") == "mapped"
    assert resolver.resolve({"Fn::GetAtt": ["Q", "Arn"]}, "X") == "arn:aws:sqs:us-east-1:123456789012:Q"


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"Fn::ImportValue": "shared"}, "MyFunction: intrinsic Fn::ImportValue is not supported"),
        ({"Ref": "Missing"}, "MyFunction: !Ref Missing names no parameter or resource"),
        ({"Fn::GetAtt": ["Fn", "Nope"]}, "MyFunction: !GetAtt Fn.Nope: Fn: attribute Nope is not supported"),
        ("{{resolve:ssm:/param}}", "MyFunction: dynamic reference resolve:ssm"),
    ],
)
def test_unknown_intrinsics_fail_loudly_with_the_resource_name(node: object, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _resolver({"Fn": {"Type": "AWS::Serverless::Function"}}).resolve(node, "MyFunction")


def test_unknown_intrinsic_in_a_function_environment_fails_at_resolution() -> None:
    template = load_template(FIXTURE)
    template["Resources"]["EchoFunction"]["Properties"]["Environment"]["Variables"]["BAD"] = {
        "Fn::Base64": "x"
    }
    model = AppModel(template, FIXTURE.parent, {})
    model.resolver.secret_arns["FixtureSecret"] = "arn:x"
    model.resolver.secret_reader = lambda _: json.dumps({"signingKey": "k"})
    with pytest.raises(TemplateError, match=r"EchoFunction \(Environment.BAD\): intrinsic Fn::Base64"):
        model.resolve_all()


def created_secrets(model: AppModel, template: dict) -> None:
    """What the runtime does at start: every secret of the template exists (in moto) with an ARN."""
    for lid, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::SecretsManager::Secret":
            model.resolver.secret_arns[lid] = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{lid}-x"


def test_real_template_resolves() -> None:
    template = load_template(TEMPLATE_PATH)
    model = AppModel(template, TEMPLATE_PATH.parent, {"AuthRateLimitPerMinute": "7"})
    created_secrets(model, template)
    model.resolver.secret_reader = lambda _: json.dumps({"signingKey": "k" * 64})
    model.resolve_all()
    health = model.functions["HealthFunction"]
    assert health.environment["AUTH_RATE_LIMIT_PER_MINUTE"] == "7"
    assert not any("SECRET" in name for name in health.environment)  # secrets: ARNs, only where used
    login = model.functions["AuthLoginFunction"]
    assert login.environment["JWT_SECRET_ARN"] == model.resolver.secret_arns["JwtSecret"]
    assert health.environment["USERS_TABLE"] == "UsersTable"
    assert health.layer_dirs == [TEMPLATE_PATH.parent / "layers" / "pitchey" / "python"]
    (api,) = model.apis
    assert {r.route_key for r in api.routes} >= {"GET /api/health", "$default"}


# --- AWS::LanguageExtensions ------------------------------------------------------------------------------
def test_project_websocket_routes_expand_from_for_each() -> None:
    """template.yaml generates each route's integration, route, permission (and route response) with
    Fn::ForEach; the runtime sees the same API as when they were written out one by one."""
    from local.template import read_template
    from local.websocket import register_resolver_hooks, websocket_apis

    written = read_template(TEMPLATE_PATH)
    assert any(key.startswith("Fn::ForEach::") for key in written["Resources"])
    model = AppModel.load(TEMPLATE_PATH)
    assert not any(key.startswith("Fn::ForEach::") for key in model.template["Resources"])
    # Everything outside the loops is as written: the processor expands loops and resolves nothing else.
    for lid, resource in written["Resources"].items():
        if not lid.startswith("Fn::ForEach::"):
            assert model.template["Resources"][lid] == resource, lid
    register_resolver_hooks(model.resolver)
    created_secrets(model, model.template)
    model.resolver.secret_reader = lambda _: json.dumps({"signingKey": "k"})
    model.resolve_all()
    (api,) = websocket_apis(model)
    names = {"$connect": "Connect", "$disconnect": "Disconnect", "$default": "Default", "ping": "Ping"}
    names |= {"subscribe": "Subscribe", "unsubscribe": "Unsubscribe", "typing": "Typing"}
    assert {key: route.function for key, route in api.routes.items()} == {
        key: f"Ws{name}Function" for key, name in names.items()
    }
    assert {key for key, route in api.routes.items() if not route.two_way} == {"$connect", "$disconnect"}
    for key, name in names.items():
        permission = model.template["Resources"][f"Ws{name}Permission"]["Properties"]
        source_arn = model.resolver.resolve(permission["SourceArn"], "test")
        assert source_arn == f"arn:aws:execute-api:us-east-1:123456789012:{api.api_id}/*/{key}"
        function_arn = model.resolver.resolve(permission["FunctionName"], "test")
        assert function_arn == model.functions[f"Ws{name}Function"].arn


def test_for_each_collection_follows_parameter_overrides(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        """
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Names: {Type: CommaDelimitedList, Default: "A,B"}
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Names
    - Queue${Name}:
        Type: AWS::SQS::Queue
        Properties: {QueueName: !Sub "q-${Name}"}
"""
    )
    assert set(AppModel.load(template).template["Resources"]) == {"QueueA", "QueueB"}
    overridden = AppModel.load(template, {"Names": "C"}).template["Resources"]
    assert overridden == {
        "QueueC": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "q-C"}}}
    }


def test_a_malformed_for_each_is_a_template_error(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Broken:\n    - Name\n    - [A]\n"
    )
    with pytest.raises(TemplateError, match="LanguageExtensions"):
        AppModel.load(template)


def test_samcli_intrinsic_resolver_differs_from_cloudformation_on_sub_escapes() -> None:
    """Why local/model.py keeps its own resolver (docs/local-runtime.md): SAM CLI's `sam local` resolver
    leaves `${!Literal}` as is, where CloudFormation (and ours) resolve it to `${Literal}`."""
    from samcli.lib.intrinsic_resolver.intrinsic_property_resolver import IntrinsicResolver
    from samcli.lib.intrinsic_resolver.intrinsics_symbol_table import IntrinsicsSymbolTable

    template = {"Parameters": {"Stage": {"Type": "String", "Default": "dev"}}, "Resources": {}}
    node = {"Fn::Sub": "${!Literal}-${Stage}"}
    samcli = IntrinsicResolver(
        template, IntrinsicsSymbolTable(template, logical_id_translator={"Stage": "dev"})
    )
    assert samcli.intrinsic_property_resolver(node, ignore_errors=False) == "${!Literal}-dev"
    assert Resolver(template, {"Stage": "dev"}).resolve(node, "test") == "${Literal}-dev"


def test_cli_takes_the_template_of_the_directory_it_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local.cli import default_template

    monkeypatch.chdir(tmp_path)
    assert default_template() == TEMPLATE_PATH  # no template here: this project's (make dev from anywhere)
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    assert default_template().resolve() == tmp_path / "template.yaml"  # as `sam local` does
