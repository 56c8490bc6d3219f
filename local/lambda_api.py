"""Lambda's API for the template's functions, backed by the worker pool: Invoke (`POST
/2015-03-31/functions/{name}/invocations`), ListFunctions, GetFunction, GetFunctionConfiguration and
UpdateFunctionConfiguration (Timeout, MemorySize, Environment, Handler, Description: the function's warm
workers are retired, so the next call runs with the new configuration, as after a deployment).

The AWS endpoint forwards every `/2015-03-31/functions...` request here (see local/awsserver.py), so
`boto3.client("lambda")` with `AWS_ENDPOINT_URL` and moto's Step Functions tasks both see the template's
functions. The same API is also reachable directly on the HTTP port under `/_local/lambda/`.
"""

from __future__ import annotations

import base64
import json
import time
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
            runtime.destinations.submit(spec.logical_id, event)
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


def configuration(runtime: Any, spec: Any) -> dict[str, Any]:
    """A function's configuration as Lambda's GetFunctionConfiguration answers it."""
    return {
        "FunctionName": spec.name,
        "FunctionArn": spec.arn,
        "Runtime": spec.runtime,
        "Role": spec.role_arn,
        "Handler": spec.handler,
        "CodeSize": 0,
        "Description": spec.description,
        "Timeout": int(spec.timeout),
        "MemorySize": spec.memory_mb,
        "LastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(runtime.started_wall)),
        "CodeSha256": "",
        "Version": "$LATEST",
        "Environment": {"Variables": dict(spec.environment)},
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "LoggingConfig": {"LogFormat": spec.log_format, "LogGroup": spec.log_group},
    }


def _function_or_404(runtime: Any, request: HttpRequest) -> Any:
    name = request.path_params["name"]
    spec = runtime.model.function_by_name(name)
    if spec is None:
        arn = name if name.startswith("arn:") else runtime.model.resolver.arn("lambda", f"function:{name}")
        return None, _aws_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
    return spec, None


UPDATABLE = {"Timeout", "MemorySize", "Environment", "Handler", "Description"}


def register(runtime: Any) -> None:
    add = runtime.admin.add
    add("POST", PATH, invoke_handler(runtime))
    base = "/_local/lambda/2015-03-31/functions"

    def list_functions(request: HttpRequest) -> HttpResponse:
        functions = [configuration(runtime, spec) for spec in runtime.model.functions.values()]
        return json_response(200, {"Functions": functions})

    def get_function(request: HttpRequest) -> HttpResponse:
        spec, error = _function_or_404(runtime, request)
        if error:
            return error
        code = {"RepositoryType": "Local", "Location": spec.code_dir.as_uri()}
        return json_response(200, {"Configuration": configuration(runtime, spec), "Code": code, "Tags": {}})

    def get_configuration(request: HttpRequest) -> HttpResponse:
        spec, error = _function_or_404(runtime, request)
        return error or json_response(200, configuration(runtime, spec))

    def update_configuration(request: HttpRequest) -> HttpResponse:
        spec, error = _function_or_404(runtime, request)
        if error:
            return error
        try:
            changes = request.json() or {}
        except ValueError:
            return _aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        unsupported = sorted(set(changes) - UPDATABLE)
        if unsupported:
            message = (
                f"pitchey-local cannot change {', '.join(unsupported)} (only {', '.join(sorted(UPDATABLE))})"
            )
            return _aws_error(400, "InvalidParameterValueException", message)
        if "Timeout" in changes:
            spec.timeout = float(changes["Timeout"])
        if "MemorySize" in changes:
            spec.memory_mb = int(changes["MemorySize"])
        if "Environment" in changes:
            spec.environment = {
                k: str(v) for k, v in ((changes["Environment"] or {}).get("Variables") or {}).items()
            }
        if "Handler" in changes:
            spec.handler = str(changes["Handler"])
        if "Description" in changes:
            spec.description = str(changes["Description"])
        runtime.functions.recycle()  # warm workers hold the old configuration
        return json_response(200, configuration(runtime, spec))

    add("GET", base, list_functions)
    add("GET", f"{base}/", list_functions)
    add("GET", f"{base}/{{name}}", get_function)
    add("GET", f"{base}/{{name}}/configuration", get_configuration)
    add("PUT", f"{base}/{{name}}/configuration", update_configuration)
