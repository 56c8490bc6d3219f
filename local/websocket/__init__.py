"""The WebSocket API of the template, served locally (runtime plugin, see local/runtime.py).

* spec.py - the API as the template declares it; resolver hooks that make its URLs local
* gateway.py - the component: one port (the runtime's shared HTTP server), the handshake and `$connect`
* connections.py - the registry of open connections, sending frames
* routing.py - route selection, events, invoking functions, two-way answers, `$disconnect`
* management.py - `@connections` (PostToConnection, GetConnection, DeleteConnection)

Not reproduced: API keys, IAM authorization on routes, authorizer result caching, the 10-minute idle and
2-hour connection limits, and request/response templates of non-proxy integrations.
"""

from __future__ import annotations

from typing import Any

from local.websocket.connections import MAX_MESSAGE_BYTES, Connection
from local.websocket.gateway import WebSocketGateway, policy_allows
from local.websocket.routing import select_route_key
from local.websocket.spec import (
    WS_API_TYPE,
    WebSocketApiSpec,
    WsAuthorizer,
    WsRoute,
    declared_api_ids,
    install_endpoint_rewriting,
    register_resolver_hooks,
    websocket_apis,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "WS_API_TYPE",
    "Connection",
    "WebSocketApiSpec",
    "WebSocketGateway",
    "WsAuthorizer",
    "WsRoute",
    "declared_api_ids",
    "install_endpoint_rewriting",
    "policy_allows",
    "register_resolver_hooks",
    "select_route_key",
    "setup",
    "websocket_apis",
]


def setup(runtime: Any) -> None:
    """Runtime plugin hook (see local/runtime.py): resolver hooks, endpoint rewriting, the gateway."""
    register_resolver_hooks(runtime.model.resolver)
    gateway = WebSocketGateway(runtime)
    api_ids = declared_api_ids(runtime.model)
    install_endpoint_rewriting(runtime.model.resolver, api_ids, gateway.host, gateway.port)
    if api_ids:
        # `https://{domainName}/{stage}` (AWS's documented @connections endpoint) must reach this port.
        bundle = gateway.enable_tls()
        runtime.functions.base_env["AWS_CA_BUNDLE"] = str(bundle)
    runtime.add_component(gateway)
