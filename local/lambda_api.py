"""Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) backed by the worker pool.

The AWS endpoint forwards these requests here (see local/awsserver.py), so `boto3.client("lambda")` with
`AWS_ENDPOINT_URL` and moto's Step Functions tasks both run the template's functions. The same API is also
reachable directly on the HTTP port under `/_local/lambda/`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from local.httpapi import HttpRequest, HttpResponse, json_response

PATH = "/_local/lambda/2015-03-31/functions/{name}/invocations"


def _aws_error(status: int, error_type: str, message: str) -> HttpResponse:
    return json_response(status, {"Type": "User", "message": message}, [("x-amzn-ErrorType", error_type)])


def invoke_handler(runtime: Any) -> Any:
    def handle(request: HttpRequest) -> HttpResponse:
        name = request.path_params["name"]
        spec = runtime.model.function_by_name(name)
        if spec is None:
            arn = (
                name if name.startswith("arn:") else runtime.model.resolver.arn("lambda", f"function:{name}")
            )
            return _aws_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        try:
            event = json.loads(request.body) if request.body.strip() else {}
        except ValueError:
            return _aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        invocation_type = request.header("x-amz-invocation-type") or "RequestResponse"
        if invocation_type == "DryRun":
            return HttpResponse(204)
        if invocation_type == "Event":
            runtime.functions.invoke_async(spec.logical_id, event)
            return HttpResponse(202, [("X-Amzn-Requestid", "")])
        if invocation_type != "RequestResponse":
            return _aws_error(
                400, "InvalidParameterValueException", f"Unsupported InvocationType {invocation_type}"
            )
        result = runtime.functions.invoke(spec.logical_id, event)
        headers = [("X-Amz-Executed-Version", "$LATEST"), ("X-Amzn-Requestid", result.request_id)]
        if (request.header("x-amz-log-type") or "").lower() == "tail":
            tail = result.logs.encode()[-4096:]
            headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode()))
        if result.error:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            return json_response(200, result.error, headers)
        return HttpResponse(
            200, [("Content-Type", "application/json"), *headers], json.dumps(result.payload).encode()
        )

    return handle


def register(runtime: Any) -> None:
    runtime.admin.add("POST", PATH, invoke_handler(runtime))
