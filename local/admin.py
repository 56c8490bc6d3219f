"""Admin endpoints under `/_local/` on the HTTP port (for tests and demos; never part of the API)."""

from __future__ import annotations

from typing import Any

from local.functions import UnknownFunction
from local.httpapi import HttpRequest, HttpResponse, gateway_message, json_response


def register(runtime: Any) -> None:
    add = runtime.admin.add

    def health(request: HttpRequest) -> HttpResponse:
        checks = runtime.health()
        # Components start in order and the HTTP server is among the first: until every one has started,
        # the runtime is "starting" (503), so nobody drives it half-started.
        starting = runtime.ready_seconds is None
        healthy = not starting and bool(checks) and all(value == "ok" for value in checks.values())
        body = {
            "status": "starting" if starting else "ok" if healthy else "degraded",
            "components": checks,
            "urls": {
                "http": runtime.http_url,
                "ws": runtime.ws_url,
                "aws": runtime.aws_endpoint,
                "stripe": runtime.stripe_url,
            },
            "stripe": runtime.stripe.describe(),
            "notEmulated": [str(report) for report in runtime.not_emulated],
            "readySeconds": runtime.ready_seconds,
            "startupTimings": runtime.timings,
        }
        return json_response(200 if healthy else 503, body)

    def list_functions(request: HttpRequest) -> HttpResponse:
        stats = runtime.functions.stats()
        return json_response(
            200,
            [
                {
                    "logicalId": fn.logical_id,
                    "name": fn.name,
                    "handler": fn.handler,
                    "codeDir": str(fn.code_dir),
                    "timeout": fn.timeout,
                    **stats.get(fn.logical_id, {"workers": 0, "idle": 0}),
                }
                for fn in runtime.model.functions.values()
            ],
        )

    def list_routes(request: HttpRequest) -> HttpResponse:
        routes = runtime.gateway.api.routes if runtime.gateway and runtime.gateway.api else []
        listed = [
            {"routeKey": r.route_key, "function": r.function, "authorizer": r.authorizer} for r in routes
        ]
        for api in runtime.model.rest_apis:  # REST APIs: served under /<stage>
            listed += [
                {
                    "routeKey": r.route_key,
                    "function": r.function,
                    "authorizer": None,
                    "api": api.logical_id,
                    "stage": api.stage,
                }
                for r in api.routes
            ]
        return json_response(200, listed)

    def list_schedules(request: HttpRequest) -> HttpResponse:
        return json_response(
            200, {"schedules": runtime.scheduler.describe(), "history": runtime.scheduler.history}
        )

    def run_schedule(request: HttpRequest) -> HttpResponse:
        name = request.path_params["name"]
        schedules = runtime.model.schedule(name)
        if not schedules:
            return gateway_message(404, f"No Schedule/ScheduleV2 event or schedule resource named {name}")
        try:
            results = [runtime.scheduler.fire(schedule) for schedule in schedules]
        except UnknownFunction as error:
            return gateway_message(404, f"Unknown function {error}")
        body: Any = results[0] if len(results) == 1 else results
        return json_response(200, body)

    def emails(request: HttpRequest) -> HttpResponse:
        items = runtime.aws.emails()
        recipient = (request.query().get("to") or [None])[0]
        if recipient:
            items = [m for m in items if any(recipient.lower() in str(t).lower() for t in m.get("to", []))]
        return json_response(200, items)

    def clear_emails(request: HttpRequest) -> HttpResponse:
        runtime.aws.clear_emails()
        return json_response(200, {"deleted": True})

    def executions(request: HttpRequest) -> HttpResponse:
        # Reserved: the Step Functions plugin registers the real handler for this route.
        return gateway_message(501, "Step Functions support is not loaded in this runtime")

    add("GET", "/_local/health", health)
    add("GET", "/_local/functions", list_functions)
    add("GET", "/_local/routes", list_routes)
    add("GET", "/_local/schedules", list_schedules)
    add("POST", "/_local/schedules/{name}/run", run_schedule)
    add("GET", "/_local/emails", emails)
    add("DELETE", "/_local/emails", clear_emails)
    add("GET", "/_local/executions", executions)
