"""The WebSocket API as the template declares it, and the resolver hooks that make its URLs local.

Read from the template (one `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`):
`RouteSelectionExpression` (`$request.body.<path>`), its `AWS::ApiGatewayV2::Route`s
(`Target: integrations/<Integration>`), `AWS::ApiGatewayV2::Integration`s whose `IntegrationUri` names one
of our functions, an optional REQUEST `AWS::ApiGatewayV2::Authorizer` on `$connect`, the
`AWS::ApiGatewayV2::Stage` name, and `AWS::ApiGatewayV2::RouteResponse`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from local.functions_ref import TemplateError, function_of, short_id

WS_API_TYPE = "AWS::ApiGatewayV2::Api"
_INTEGRATION_PATH = re.compile(r"integrations/([^/]+)$")


@dataclass
class WsAuthorizer:
    name: str
    function: str
    identity_sources: list[str]


@dataclass
class WsRoute:
    key: str
    function: str | None  # logical id of the integration's function; None = route without integration
    two_way: bool = False
    authorizer: WsAuthorizer | None = None


@dataclass
class WebSocketApiSpec:
    logical_id: str
    api_id: str
    stage: str
    selection_expression: str
    routes: dict[str, WsRoute] = field(default_factory=dict)


def _ref_target(node: Any) -> str | None:
    return node["Ref"] if isinstance(node, dict) and isinstance(node.get("Ref"), str) else None


def register_resolver_hooks(resolver: Any) -> None:
    """`!Ref` of ApiGatewayV2 sub-resources: ids (so `integrations/${Integration}` resolves), stage names."""
    for kind, length in (
        ("AWS::ApiGatewayV2::Integration", 7),
        ("AWS::ApiGatewayV2::Route", 7),
        ("AWS::ApiGatewayV2::Authorizer", 6),
        ("AWS::ApiGatewayV2::Deployment", 6),
        ("AWS::ApiGatewayV2::RouteResponse", 6),
        ("AWS::ApiGatewayV2::IntegrationResponse", 6),
    ):
        resolver.register_ref(kind, lambda lid, res, n=length: short_id(lid, n))
    resolver.register_ref(
        "AWS::ApiGatewayV2::Stage",
        lambda lid, res: str(resolver.resolve((res.get("Properties") or {}).get("StageName", lid), lid)),
    )


def websocket_apis(model: Any) -> list[WebSocketApiSpec]:
    """Every WEBSOCKET ApiGatewayV2 API of the template with its routes resolved to function logical ids."""
    resolve = model.resolver.resolve
    resources = model.template.get("Resources", {}) or {}

    def of_type(kind: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in resources.items() if res.get("Type") == kind}

    apis: dict[str, WebSocketApiSpec] = {}
    for lid, res in of_type(WS_API_TYPE).items():
        props = res.get("Properties") or {}
        if str(resolve(props.get("ProtocolType", ""), lid)).upper() != "WEBSOCKET":
            continue
        expression = str(resolve(props.get("RouteSelectionExpression", "$request.body.action"), lid))
        apis[lid] = WebSocketApiSpec(lid, short_id(lid), "$default", expression)
    if not apis:
        return []

    def api_of(props: dict[str, Any]) -> WebSocketApiSpec | None:
        return apis.get(_ref_target(props.get("ApiId")) or "")

    for lid, res in of_type("AWS::ApiGatewayV2::Stage").items():
        props = res.get("Properties") or {}
        api = api_of(props)
        if api is not None:
            api.stage = str(resolve(props.get("StageName", "$default"), lid))

    integrations: dict[str, str] = {}  # integration id (and logical id) -> function logical id
    for lid, res in of_type("AWS::ApiGatewayV2::Integration").items():
        props = res.get("Properties") or {}
        if api_of(props) is None:
            continue
        kind = str(resolve(props.get("IntegrationType", "AWS_PROXY"), lid))
        if kind not in ("AWS_PROXY", "AWS"):
            raise TemplateError(f"{lid}: IntegrationType {kind} is not supported locally (Lambda only)")
        function = function_of(model, props.get("IntegrationUri"), lid)
        integrations[short_id(lid, 7)] = integrations[lid] = function

    authorizers: dict[str, WsAuthorizer] = {}
    for lid, res in of_type("AWS::ApiGatewayV2::Authorizer").items():
        props = res.get("Properties") or {}
        if api_of(props) is None:
            continue
        kind = str(resolve(props.get("AuthorizerType", "REQUEST"), lid))
        if kind != "REQUEST":
            raise TemplateError(f"{lid}: only REQUEST authorizers are supported on WebSocket APIs")
        sources = resolve(props.get("IdentitySource") or [], lid)
        sources = [sources] if isinstance(sources, str) else list(sources)
        authorizers[short_id(lid, 6)] = authorizers[lid] = WsAuthorizer(
            lid, function_of(model, props.get("AuthorizerUri"), lid), [str(s) for s in sources]
        )

    routes_with_response = {  # route ids (`!Ref Route` or `!Sub "${Route}"`)
        str(resolve((res.get("Properties") or {}).get("RouteId"), lid))
        for lid, res in of_type("AWS::ApiGatewayV2::RouteResponse").items()
    }
    for lid, res in of_type("AWS::ApiGatewayV2::Route").items():
        props = res.get("Properties") or {}
        api = api_of(props)
        if api is None:
            continue
        key = str(resolve(props.get("RouteKey"), lid))
        target = props.get("Target")
        function = None
        if target is not None:
            match = _INTEGRATION_PATH.search(str(resolve(target, lid)))
            if not match or match.group(1) not in integrations:
                raise TemplateError(f"{lid}: Target {target!r} is not an integration of this template")
            function = integrations[match.group(1)]
        authorizer = None
        if str(resolve(props.get("AuthorizationType", "NONE"), lid)) == "CUSTOM":
            authorizer_ref = _ref_target(props.get("AuthorizerId")) or str(
                resolve(props.get("AuthorizerId"), lid)
            )
            if authorizer_ref not in authorizers:
                raise TemplateError(f"{lid}: AuthorizerId is not an authorizer of this template")
            authorizer = authorizers[authorizer_ref]
        two_way = "RouteResponseSelectionExpression" in props or short_id(lid, 7) in routes_with_response
        api.routes[key] = WsRoute(key, function, two_way, authorizer)
    return list(apis.values())


def declared_api_ids(model: Any) -> list[str]:
    """Ids (`!Ref`) of the template's WEBSOCKET APIs, known before functions are resolved."""
    resolve = model.resolver.resolve
    return [
        short_id(lid)
        for lid, res in (model.template.get("Resources", {}) or {}).items()
        if res.get("Type") == WS_API_TYPE
        and str(resolve((res.get("Properties") or {}).get("ProtocolType", ""), lid)).upper() == "WEBSOCKET"
    ]


def install_endpoint_rewriting(resolver: Any, api_ids: list[str], host: str, port: int) -> None:
    """Make every resolved value that is the AWS URL of a WebSocket API point at the local server, so an
    environment variable like `!Sub https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}`
    is `http://127.0.0.1:3001/dev` locally (`wss://` becomes `ws://`)."""
    if not api_ids:
        return
    ids = "|".join(re.escape(api_id) for api_id in api_ids)
    pattern = re.compile(rf"\b(https|wss)://(?:{ids})\.execute-api\.[a-z0-9-]+\.amazonaws\.com")

    def rewrite(value: str) -> str:
        if ".execute-api." not in value:
            return value
        return pattern.sub(lambda m: f"{'http' if m.group(1) == 'https' else 'ws'}://{host}:{port}", value)

    resolver.add_rewrite(rewrite)
