"""REST APIs (`AWS::Serverless::Api`, `Type: Api` events) and OpenAPI `DefinitionBody` routes, as model data.

A REST API is served on the HTTP port under its stage (`/Prod/hello` reaches the `/hello` resource of the API
whose StageName is Prod), as its execute-api URL has it; its functions get payload format 1.0 events
(local/restapi.py). `DefinitionBody` (or a local `DefinitionUri` file) of a REST or HTTP API contributes a
route per path and method whose `x-amazon-apigateway-integration` is a Lambda proxy (`type: aws_proxy`) with
a `uri` naming one of the template's functions (`!Sub ...${Fn.Arn}/invocations`, `!GetAtt`, an ARN). Other
integration types are reported by local/coverage.py and not served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local.model import HttpApi, Route, TemplateError, short_id
from local.template import read_template

REST_API_TYPES = ("AWS::Serverless::Api",)
IMPLICIT_REST_API = "ServerlessRestApi"  # SAM's name for the API of Api events without RestApiId
IMPLICIT_REST_STAGE = "Prod"  # SAM's stage of that implicit API
OPENAPI_METHODS = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
)
INTEGRATION = "x-amazon-apigateway-integration"


def definition(model: Any, api_lid: str, props: dict[str, Any]) -> dict[str, Any] | None:
    """The API's OpenAPI document: `DefinitionBody` (intrinsics in it stay for the integration uris), or a
    local `DefinitionUri` file (YAML or JSON, relative to the template)."""
    if "DefinitionBody" in props:
        return props["DefinitionBody"] or {}
    uri = props.get("DefinitionUri")
    if uri is None:
        return None
    if not isinstance(uri, str) or uri.startswith("s3://"):
        raise TemplateError(f"{api_lid}: DefinitionUri must be a local file locally, got {uri!r}")
    path = (Path(model.root) / uri).resolve()
    if not path.is_file():
        raise TemplateError(f"{api_lid}: DefinitionUri {uri} does not exist")
    return read_template(path)


def is_lambda_proxy(integration: Any) -> bool:
    return isinstance(integration, dict) and str(integration.get("type", "")).lower() == "aws_proxy"


def openapi_routes(model: Any, api_lid: str, document: dict[str, Any], http_api: bool) -> list[Route]:
    """A route per Lambda proxy operation of `document` (others are coverage reports, not routes)."""
    from local.functions_ref import function_of

    routes = []
    for path, operations in (document.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method.lower() not in OPENAPI_METHODS or not isinstance(operation, dict):
                continue
            integration = operation.get(INTEGRATION)
            if not is_lambda_proxy(integration):
                continue
            where = f"{api_lid} (DefinitionBody.paths.{path}.{method})"
            function = function_of(model, integration.get("uri"), where)
            version = "1.0"
            if http_api:
                version = str(model.resolver.resolve(integration.get("payloadFormatVersion", "2.0"), where))
            verb = "ANY" if method.lower() == "x-amazon-apigateway-any-method" else method.upper()
            is_default = http_api and path == "$default"
            routes.append(
                Route(
                    "ANY" if is_default else verb,
                    None if is_default else str(path),
                    function,
                    f"{api_lid}:{method} {path}",
                    None,
                    payload_version=version,
                )
            )
    return routes


def rest_apis(model: Any) -> list[HttpApi]:
    """The template's REST APIs with their routes (explicit APIs, then SAM's implicit one if used)."""
    resolve = model.resolver.resolve
    apis: dict[str, HttpApi] = {}
    for lid, res in model.resources(*REST_API_TYPES).items():
        props = res.get("Properties") or {}
        stage = str(resolve(props.get("StageName", IMPLICIT_REST_STAGE), lid))
        api = HttpApi(lid, short_id(lid), stage, kind="rest")
        api.binary_media_types = _binary_types(resolve(props.get("BinaryMediaTypes") or [], lid))
        api.stage_variables = {k: str(v) for k, v in (resolve(props.get("Variables") or {}, lid)).items()}
        api.rest_cors = _sam_cors(resolve(props.get("Cors"), lid))
        document = definition(model, lid, props)
        if document is not None:
            api.routes.extend(openapi_routes(model, lid, document, http_api=False))
            binary = resolve(document.get("x-amazon-apigateway-binary-media-types") or [], lid)
            api.binary_media_types += _binary_types(binary)
        apis[lid] = api
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") != "Api":
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            props = event.get("Properties") or {}
            api_ref = props.get("RestApiId")
            api_lid = api_ref["Ref"] if isinstance(api_ref, dict) and "Ref" in api_ref else IMPLICIT_REST_API
            if api_lid not in apis:
                if api_lid != IMPLICIT_REST_API:
                    raise TemplateError(f"{where}: RestApiId {api_ref!r} is not an AWS::Serverless::Api here")
                apis[api_lid] = HttpApi(api_lid, short_id(api_lid), IMPLICIT_REST_STAGE, kind="rest")
            if "Path" not in props or "Method" not in props:
                raise TemplateError(f"{where}: Api events need Path and Method")
            method = str(resolve(props["Method"], where)).upper()
            if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD"):
                method = "ANY"
            path = str(resolve(props["Path"], where))
            apis[api_lid].routes.append(Route(method, path, fn.logical_id, event_name, None, "1.0"))
    used = [api for api in apis.values() if api.routes]
    stages: dict[str, str] = {}
    for api in used:
        keys = [route.route_key for route in api.routes]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise TemplateError(f"{api.logical_id}: duplicate routes {sorted(duplicates)}")
        if api.stage in stages:
            raise TemplateError(
                f"{api.logical_id}: stage {api.stage} is also {stages[api.stage]}'s; REST APIs are served "
                "locally under /<StageName>, so their stages must differ"
            )
        stages[api.stage] = api.logical_id
    return used


def _sam_cors(config: Any) -> dict[str, str] | None:
    """SAM's `Cors` of an Api: `"'origin'"` or {AllowOrigin, AllowMethods, AllowHeaders, MaxAge,
    AllowCredentials}; the strings are header values in single quotes (SAM passes them to API Gateway)."""
    if config is None:
        return None
    config = {"AllowOrigin": config} if isinstance(config, str) else dict(config)

    def unquote_value(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text

    return {key: unquote_value(value) for key, value in config.items()}


def _binary_types(values: Any) -> list[str]:
    # SAM writes `image~1png` for image/png (a JSON-pointer escape); CloudFormation's own form is plain.
    return [str(v).replace("~1", "/") for v in (values if isinstance(values, list) else [values])]


def api_url_rewrite(model: Any, host: str, port: int) -> Any:
    """A resolver rewrite: the AWS URL of the template's HTTP API (`https://<id>.execute-api.<region>.
    amazonaws.com[/<stage>]`) is the local HTTP port (HTTP API routes are served at its root), a REST API's
    is `http://host:port/<stage>` (they are served under their stage). Links built from such a URL - email
    links, clients' base URLs - then reach the local runtime."""
    import re

    http_stages: dict[str, str] = {short_id("ServerlessHttpApi"): "$default"}  # api id -> stage
    rest_ids = [short_id(IMPLICIT_REST_API)]
    for lid, res in model.resources("AWS::Serverless::HttpApi", *REST_API_TYPES).items():
        if res["Type"] in REST_API_TYPES:
            rest_ids.append(short_id(lid))
        else:
            stage = (res.get("Properties") or {}).get("StageName", "$default")
            http_stages[short_id(lid)] = str(model.resolver.resolve(stage, lid))
    ids = "|".join(re.escape(i) for i in [*http_stages, *rest_ids])
    pattern = re.compile(rf"\bhttps://({ids})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/[^/?#\s]*)?")
    base = f"http://{host}:{port}"

    def rewrite(value: str) -> str:
        if ".execute-api." not in value:
            return value

        def local(match: Any) -> str:
            segment = match.group(2) or ""
            if match.group(1) in http_stages and segment == f"/{http_stages[match.group(1)]}":
                return base  # local HTTP API paths do not start with the stage
            return f"{base}{segment}"

        return pattern.sub(local, value)

    return rewrite
