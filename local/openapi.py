"""docs/openapi.json (OpenAPI 3.1), generated from the code: `make openapi` (or `python -m local.openapi`).

Where each part comes from, so that the document cannot say what the code does not do:
- routes, path parameters and auth: template.yaml's HttpApi events (an `Authorizer: NONE` route is public);
- per handler (functions/<area>/<module>.py, read as source and imported for its names): the `@api(...)`
  arguments (auth mode, roles, admin, verified, idempotent), the `request.*` calls (`parse(Model)` is the
  request body: the pydantic model's JSON schema; `page()`, `query_param`, `choice_param`, `bool_param` are
  query parameters) and the success status (`ok` / `created` / `accepted` / `ok_page`);
- error statuses and codes: every `raise SomeAppError(..., code=...)` reachable from the handler through
  calls into `pitchey` (functions, module functions, methods of pitchey objects), a few levels deep.
Responses have no pydantic models in the code (services return dicts), so `data` is left open.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import json
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from local.template import ROOT, load_template

OUTPUT = ROOT / "docs" / "openapi.json"
EXAMPLE_TIME = "2026-01-01T12:00:00Z"
LAYER = ROOT / "layers" / "pitchey" / "python"
FONTS_LAYER = ROOT / "layers" / "fonts" / "python"
# How far the error scan follows calls from a handler: deep enough for service → lifecycle → core.db,
# shallow enough that generic helpers do not lend every route every code.
SCAN_DEPTH = 4
SHARED_STATUSES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}
SHARED_STATUSES |= {409: "Conflict", 413: "PayloadTooLarge", 422: "ValidationFailed", 429: "RateLimited"}
STATUS_TEXT = {
    400: "Bad request (malformed JSON, bad query parameter or cursor)",
    401: "Missing, invalid or expired token, or the session has ended",
    402: "Not enough credits",
    403: "Authenticated, but not allowed (role, portal, admin, unverified email)",
    404: "Not found, or not yours to see",
    409: "Duplicate or state conflict",
    413: "Body over 1 MiB",
    422: "Validation failed; `details` names the fields",
    429: "Rate limited or locked; see Retry-After",
    502: "An upstream provider failed",
    503: "A dependency is unavailable; retry later",
}


# --- the handlers, as the code says ------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    path: str
    area: str  # functions/<area>/...: the tag
    module: str
    public: bool  # the template's `Authorizer: NONE`
    code: str = ""  # the CodeUri (functions/ndas/documents for the functions that ship fpdf2)

    @property
    def source(self) -> Path:
        return ROOT / (self.code or f"functions/{self.area}") / f"{self.module}.py"


@dataclass
class Handler:
    auth: str = "required"
    roles: list[str] | None = None
    admin: bool = False
    verified: bool = False
    idempotent: bool = False
    body: Any = None  # a pydantic model, "json" (any JSON object) or "raw" (bytes, e.g. a signed webhook)
    paged: bool = False  # reads ?limit= (and ?cursor=, unless only `request.page().limit` is used)
    cursor: bool = False
    page_answer: bool = False  # answers ok_page(...): data is a list, metadata the paging
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> schema
    statuses: set[int] = field(default_factory=set)  # success statuses
    media_types: set[str] = field(default_factory=set)  # of a `content(...)` answer (not the envelope)
    errors: dict[int, set[str]] = field(default_factory=dict)  # status -> codes
    doc: str = ""


def template_routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every HttpApi route of the template (the `$default` catch-all has no path and is left out)."""
    routes = []
    for resource in (template or load_template())["Resources"].values():
        props = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (props.get("Events") or {}).values():
            spec = event.get("Properties") or {}
            if event.get("Type") != "HttpApi" or "Path" not in spec:
                continue
            auth = (spec.get("Auth") or {}).get("Authorizer")
            routes.append(
                Route(
                    method=spec["Method"].upper(),
                    path=spec["Path"],
                    area=props["CodeUri"].strip("/").split("/")[1],
                    code=props["CodeUri"].strip("/"),
                    module=props["Handler"].split(".")[0],
                    public=auth == "NONE",
                )
            )
    return sorted(routes, key=lambda r: (r.path, r.method))


@cache
def _load(source: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"openapi_{source.parent.name}_{source.stem}", source)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _is_request(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "request"


def _method_test(test: ast.AST) -> str | None:
    """`request.method == "POST"` -> "POST"."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Attribute)
        and _is_request(test.left.value)
        and test.left.attr == "method"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
    ):
        return _literal(test.comparators[0])
    return None


def _statements_for(body: list[ast.stmt], method: str) -> Iterator[ast.stmt]:
    """The statements a request with `method` runs: `if request.method == ...` branches are chosen."""
    for statement in body:
        if isinstance(statement, ast.If) and (branch := _method_test(statement.test)) is not None:
            chosen = statement.body if branch == method else statement.orelse
            yield from _statements_for(chosen, method)
            if chosen and isinstance(chosen[-1], ast.Return):
                return
            continue
        yield statement


def read_handler(route: Route) -> Handler:
    module = _load(route.source)
    tree = ast.parse(route.source.read_text(encoding="utf-8"))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler")
    result = Handler(doc=(ast.get_docstring(tree) or "").strip())
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "api":
            for keyword in decorator.keywords:
                value = _literal(keyword.value)
                if keyword.arg == "roles":
                    result.roles = sorted(value)
                elif keyword.arg in ("auth", "admin", "verified", "idempotent"):
                    setattr(result, keyword.arg, value)

    namespace = _with_local_imports(function, vars(module))  # a model imported in a branch counts too

    def evaluate(node: ast.AST) -> Any:
        return eval(compile(ast.Expression(node), str(route.source), "eval"), namespace)  # noqa: S307

    statements = list(_statements_for(function.body, route.method))
    # A body the handler hands on unparsed (a service validates it) is declared: REQUEST_BODY = (ModelA, B).
    declared = getattr(module, "REQUEST_BODY", None)
    # The module's own helpers the handler calls (browse's filters_of(request)) read the request too.
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "handler"}
    pending = list(statements)
    while pending:
        for node in ast.walk(pending.pop()):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
                helper = helpers.pop(node.func.id)
                statements += helper.body
                pending += helper.body
    limit_only = {
        id(node.value)
        for statement in statements
        for node in ast.walk(statement)
        if isinstance(node, ast.Attribute) and node.attr == "limit" and isinstance(node.value, ast.Call)
    }
    for statement in statements:
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute | ast.Name):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            on_request = isinstance(node.func, ast.Attribute) and _is_request(node.func.value)
            if on_request and name == "parse":
                result.body = evaluate(node.args[0])
            elif on_request and name == "json" and result.body is None:
                result.body = "json"
            elif on_request and name == "body_bytes":
                result.body = "raw"
            elif on_request and name == "page":
                result.paged = True
                result.cursor = result.cursor or id(node) not in limit_only
            elif on_request and name in ("query_param", "bool_param", "choice_param"):
                query_name = _literal(node.args[0])
                schema: dict[str, Any] = {"type": "string"}
                if name == "bool_param":
                    schema = {"type": "string", "enum": ["true", "false", "1", "0"]}
                elif name == "choice_param":
                    schema = {"type": "string", "enum": sorted(evaluate(node.args[1]))}
                    default = node.args[2] if len(node.args) > 2 else None
                    default = next((k.value for k in node.keywords if k.arg == "default"), default)
                    if default is not None:
                        schema["default"] = evaluate(default)
                result.query[query_name] = schema
            elif not on_request and name in ("ok", "ok_page"):
                result.statuses.add(200)
                result.page_answer = result.page_answer or name == "ok_page"
            elif not on_request and name == "content":
                result.statuses.add(200)
                media_type = _literal(node.args[1])
                # Not a literal: the module declares the types it may answer in CONTENT_TYPES.
                result.media_types |= {media_type} if media_type else set(module.CONTENT_TYPES)
            elif not on_request and name == "created":
                result.statuses.add(201)
            elif not on_request and name == "accepted":
                result.statuses.add(202)
    if declared is not None:
        result.body = tuple(declared)
    result.errors = _handler_errors(route, result, module, statements)
    return result


# --- the errors a route can answer ------------------------------------------------------------------
def _app_error() -> type:
    from pitchey.core.errors import AppError

    return AppError


def _pitchey(obj: Any) -> bool:
    name = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    return isinstance(name, str) and name.startswith("pitchey")


def _resolve(node: ast.AST, namespace: dict[str, Any], owner: type | None) -> Any:
    """What a call's target names in the function's module: a function, a module's function or a method
    of a pitchey object (`FLOW.apply`); `self.x` / `cls.x` inside a method of `owner`."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and owner is not None:
            return getattr(owner, node.attr, None)
        base = _resolve(node.value, namespace, owner)
        if base is None:
            return None
        target = getattr(base, node.attr, None)
        if target is None and not isinstance(base, type | types.ModuleType):
            target = getattr(type(base), node.attr, None)
        return target
    return None


def _raised(call: ast.AST, namespace: dict[str, Any], owner: type | None) -> set[tuple[int, str]]:
    """`raise Error(..., code=...)`, `raise ValidationFailed.field(...)` and `raise make_error(...)` (a
    pitchey function that returns the error: what each of its `return Error(...)` makes)."""
    if not isinstance(call, ast.Call):
        return set()
    target = call.func
    if isinstance(target, ast.Attribute) and target.attr == "field":  # ValidationFailed.field(...)
        target = target.value
    error = _resolve(target, namespace, owner)
    if isinstance(error, type) and issubclass(error, _app_error()):
        code = next((_literal(k.value) for k in call.keywords if k.arg == "code"), None)
        return {(error.status, code or error.code)}
    function, function_owner = _function_of(error)
    if function is None or not _pitchey(function) or isinstance(error, type):
        return set()
    return set(_returned_errors(function, function_owner))


@cache
def _returned_errors(function: Any, owner: type | None) -> frozenset[tuple[int, str]]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    namespace = _with_local_imports(tree, function.__globals__)
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            found |= {e for e in _raised(node.value, namespace, owner) if e[0] >= 400}
    return frozenset(found)


def _function_of(obj: Any) -> tuple[Any, type | None]:
    """A callable as (plain function, its class when it is a method)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if inspect.ismethod(obj):
        return obj.__func__, obj.__self__ if isinstance(obj.__self__, type) else type(obj.__self__)
    if isinstance(obj, type) and _pitchey(obj):
        return obj.__init__, obj
    if inspect.isfunction(obj):
        owner_name = obj.__qualname__.rsplit(".", 1)[0] if "." in obj.__qualname__ else None
        owner = getattr(sys.modules.get(obj.__module__), owner_name, None) if owner_name else None
        return inspect.unwrap(obj), owner if isinstance(owner, type) else None
    return None, None


@cache
def _function_errors(function: Any, owner: type | None, depth: int) -> frozenset[tuple[int, str]]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    return _errors_in(tree, function.__globals__, owner, depth)


def _with_local_imports(tree: ast.AST, namespace: dict[str, Any]) -> dict[str, Any]:
    """The module's names plus those a function imports inside itself (kept out of cold starts)."""
    local: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if value is None:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                local[alias.asname or alias.name] = value
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local[alias.asname or alias.name.split(".")[0]] = importlib.import_module(alias.name)
    return {**namespace, **local} if local else namespace


def _errors_in(tree: ast.AST, namespace: dict[str, Any], owner: type | None, depth: int) -> frozenset:
    found: set[tuple[int, str]] = set()
    namespace = _with_local_imports(tree, namespace)
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            found |= _raised(node.exc, namespace, owner)
        elif isinstance(node, ast.Call) and depth > 0:
            function, function_owner = _function_of(_resolve(node.func, namespace, owner))
            if function is not None and _pitchey(function) and not function.__module__.endswith(".log"):
                found |= _function_errors(function, function_owner, depth - 1)
    return frozenset(found)


def _handler_errors(
    route: Route, handler: Handler, module: types.ModuleType, statements: list[ast.stmt]
) -> dict[int, set[str]]:
    from pitchey.auth import http as auth_http
    from pitchey.core import http as core_http

    errors: set[tuple[int, str]] = set()
    for statement in statements:
        errors |= _errors_in(statement, vars(module), core_http.Request, SCAN_DEPTH)
    # What the request's own calls raise (request.page(), request.parse(...)), then the guard's checks.
    for statement in statements:
        for node in ast.walk(statement):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_request(node.func.value)
            ):
                method = getattr(core_http.Request, node.func.attr, None)
                if inspect.isfunction(method):
                    errors |= _function_errors(method, core_http.Request, SCAN_DEPTH)
    if handler.auth != "none":
        errors |= _function_errors(auth_http.authenticate, None, SCAN_DEPTH)
        if handler.auth == "required":
            errors.add((401, "UNAUTHORIZED"))  # the gateway's own answer when no token is sent
    if handler.roles:
        errors.add((403, "FORBIDDEN"))
    if handler.verified:
        errors |= _function_errors(auth_http.require_verified_email, None, SCAN_DEPTH)
    if handler.admin:
        errors |= _function_errors(auth_http.require_admin, None, SCAN_DEPTH)
    if handler.idempotent:
        errors |= _function_errors(core_http._run_idempotent, None, 1)
    if handler.body is not None and route.method in ("POST", "PUT"):
        errors.add((413, "PAYLOAD_TOO_LARGE"))
    by_status: dict[int, set[str]] = {}
    for status, code in errors:
        if 400 <= status < 600 and status != 500:
            by_status.setdefault(status, set()).add(code)
    return by_status


# --- the document ------------------------------------------------------------------------------------
def _components() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["success", "error", "timestamp"],
        "properties": {
            "success": {"const": False},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["NOT_FOUND"]},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                        },
                    },
                },
            },
            "timestamp": {"type": "string", "format": "date-time"},
        },
    }
    responses = {}
    for status, name in SHARED_STATUSES.items():
        schema: dict[str, Any] = {"$ref": "#/components/schemas/ErrorEnvelope"}
        if status == 401:
            # No Authorization header on a protected route: API Gateway answers before any function runs.
            schema = {"oneOf": [schema, {"$ref": "#/components/schemas/GatewayUnauthorized"}]}
        responses[name] = {
            "description": STATUS_TEXT[status],
            "headers": _error_headers(status),
            "content": {"application/json": {"schema": schema}},
        }
    return {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "The accessToken of POST /api/auth/{portal}/login or /api/auth/refresh.",
            }
        },
        "schemas": {
            "ErrorEnvelope": error,
            "GatewayUnauthorized": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": {"const": "Unauthorized"}},
            },
            "SuccessEnvelope": {
                "type": "object",
                "required": ["success", "data", "timestamp"],
                "properties": {
                    "success": {"const": True},
                    "data": {"description": "The answer (an object or an array)."},
                    "timestamp": {"type": "string", "format": "date-time"},
                    "metadata": {"type": "object"},
                },
            },
            "PageMetadata": {
                "type": "object",
                "required": ["page", "limit", "total", "nextCursor"],
                "properties": {
                    "page": {"type": "integer", "minimum": 1},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                    "total": {"type": ["integer", "null"]},
                    "nextCursor": {"type": ["string", "null"]},
                },
            },
        },
        "responses": responses,
        "parameters": {
            "limit": {
                "name": "limit",
                "in": "query",
                "description": "Page size (default 20).",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
            "cursor": {
                "name": "cursor",
                "in": "query",
                "description": "The previous page's nextCursor (opaque; one the server did not issue: 400).",
                "schema": {"type": "string"},
            },
        },
    }


def _error_headers(status: int) -> dict[str, Any]:
    headers = {"X-Request-Id": {"schema": {"type": "string"}}}
    if status == 429:
        headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait."}
    return headers


def _error_response(status: int, codes: set[str]) -> dict[str, Any]:
    """The shared response when the route's codes are the status's generic one; else the same schema with
    the route's codes as examples."""
    name = SHARED_STATUSES.get(status)
    generic = {"UNAUTHORIZED", "TOKEN_EXPIRED"} if status == 401 else set()
    if name and codes <= generic | {_default_code(status)}:
        return {"$ref": f"#/components/responses/{name}"}
    schema: dict[str, Any] = {"$ref": "#/components/schemas/ErrorEnvelope"}
    if status == 401:
        schema = {"oneOf": [schema, {"$ref": "#/components/schemas/GatewayUnauthorized"}]}
    return {
        "description": f"{STATUS_TEXT.get(status, 'Error')}. Codes: {', '.join(sorted(codes))}",
        "headers": _error_headers(status),
        "content": {
            "application/json": {
                "schema": schema,
                "examples": {
                    code: {
                        "value": {
                            "success": False,
                            "error": {"code": code, "message": "…"},
                            "timestamp": EXAMPLE_TIME,
                        }
                    }
                    for code in sorted(codes)
                },
            }
        },
    }


@cache
def _default_code(status: int) -> str | None:
    from pitchey.core import errors

    return next(
        (
            c.code
            for c in vars(errors).values()
            if isinstance(c, type) and issubclass(c, errors.AppError) and c.status == status
        ),
        None,
    )


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _operation(
    route: Route, handler: Handler, names: dict[type, str], schemas: dict[str, Any], operation_id: str
) -> dict[str, Any]:
    summary = handler.doc.splitlines()[0] if handler.doc else f"{route.method} {route.path}"
    description = "\n".join(handler.doc.splitlines()[1:]).strip()
    who = "Public." if handler.auth == "none" else ""
    if handler.auth == "optional":
        who = "Public; a bearer token, if sent, makes the caller known."
    if handler.roles:
        who += f" Roles: {', '.join(handler.roles)}."
    if handler.admin:
        who += " Administrators only."
    if handler.verified:
        who += " Requires a verified email."
    if handler.idempotent:
        who += " Honours an Idempotency-Key header."
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [route.area],
        "summary": summary,
        "description": "\n\n".join(part for part in (who.strip(), description) if part),
    }
    if route.public:
        operation["security"] = [{}, {"bearerAuth": []}] if handler.auth == "optional" else []
    else:
        operation["security"] = [{"bearerAuth": []}]
    if handler.roles:
        operation["x-roles"] = handler.roles
    parameters: list[dict[str, Any]] = _path_parameters(route.path)
    if handler.paged:
        parameters.append({"$ref": "#/components/parameters/limit"})
    if handler.cursor:
        parameters.append({"$ref": "#/components/parameters/cursor"})
    parameters += [{"name": n, "in": "query", "schema": s} for n, s in sorted(handler.query.items())]
    if handler.idempotent:
        parameters.append(
            {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200}}
        )
    if parameters:
        operation["parameters"] = parameters
    if handler.body == "raw":
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    elif handler.body == "json":
        operation["requestBody"] = {
            "required": False,
            "description": "An empty body or a JSON object.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    elif isinstance(handler.body, tuple):  # REQUEST_BODY: one of several models
        refs = [{"$ref": f"#/components/schemas/{names[model]}"} for model in handler.body]
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": refs}}},
        }
    elif handler.body is not None:
        name = names[handler.body]
        operation["requestBody"] = {
            "required": not _all_optional(schemas[name]),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    success: dict[str, Any] = {"$ref": "#/components/schemas/SuccessEnvelope"}
    if handler.page_answer and handler.statuses == {200}:
        success = {
            "allOf": [
                success,
                {
                    "type": "object",
                    "required": ["metadata"],
                    "properties": {
                        "data": {"type": "array"},
                        "metadata": {"$ref": "#/components/schemas/PageMetadata"},
                    },
                },
            ]
        }
    responses: dict[str, Any] = {}
    answers = {"application/json": {"schema": success}}
    if handler.media_types:  # not the envelope: the body itself
        answers = {
            t: {"schema": {"type": "object"} if t == "application/json" else {"type": "string"}}
            for t in sorted(handler.media_types)
        }
    for status in sorted(handler.statuses or {200}):
        responses[str(status)] = {
            "description": {200: "OK", 201: "Created", 202: "Accepted"}[status],
            "headers": {"X-Request-Id": {"schema": {"type": "string"}}},
            "content": answers,
        }
    for status, codes in sorted(handler.errors.items()):
        responses[str(status)] = _error_response(status, codes)
    operation["responses"] = responses
    return operation


def _all_optional(schema: dict[str, Any]) -> bool:
    return not schema.get("required")


def _request_schemas(models: list[type]) -> tuple[dict[type, str], dict[str, Any]]:
    """(model -> its component name, components). pydantic names a model by its class name, qualified
    by its module only when two share a name (several contexts have a `NoBody`)."""
    from pydantic.json_schema import models_json_schema

    if not models:
        return {}, {}
    keys, top = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
        by_alias=True,
    )
    names = {model: keys[(model, "validation")]["$ref"].rsplit("/", 1)[-1] for model in models}
    definitions = top.get("$defs", {})
    _drop_null_defaults(definitions)
    return names, definitions


def _drop_null_defaults(schema: Any) -> None:
    """`field: Literal[...] = None` gives `default: null` beside a type without null, which OpenAPI
    refuses; for a client it means "leave it out", which the field not being required already says."""
    if isinstance(schema, dict):
        types_ = schema.get("type")
        nullable = "anyOf" in schema or "null" in (types_ if isinstance(types_, list) else [types_])
        if "default" in schema and schema["default"] is None and not nullable:
            del schema["default"]
        for value in schema.values():
            _drop_null_defaults(value)
    elif isinstance(schema, list):
        for value in schema:
            _drop_null_defaults(value)


def _operation_ids(routes: list[Route]) -> dict[Route, str]:
    """`area.module`; a module serving several routes adds the method, or else the last path word."""
    by_module: dict[str, list[Route]] = {}
    for route in routes:
        by_module.setdefault(f"{route.area}.{route.module}", []).append(route)
    ids = {}
    for base, group in by_module.items():
        distinct_methods = len({r.method for r in group}) == len(group)
        for route in group:
            if len(group) == 1:
                ids[route] = base
            elif distinct_methods:
                ids[route] = f"{base}.{route.method.lower()}"
            else:
                ids[route] = f"{base}.{route.path.rstrip('/').rsplit('/', 1)[-1].strip('{}')}"
    if len(set(ids.values())) != len(ids):
        raise SystemExit(f"operationIds collide: {sorted(ids.values())}")
    return ids


def build() -> dict[str, Any]:
    for layer in (LAYER, FONTS_LAYER):  # the handlers' code, as their functions' layers provide it
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    routes = template_routes()
    handlers = {(r.method, r.path): read_handler(r) for r in routes}
    models = {h.body for h in handlers.values() if isinstance(h.body, type)}
    models |= {m for h in handlers.values() if isinstance(h.body, tuple) for m in h.body}
    components = _components()
    names, request_schemas = _request_schemas(sorted(models, key=lambda m: (m.__module__, m.__name__)))
    components["schemas"].update(request_schemas)
    paths: dict[str, dict[str, Any]] = {}
    for route, operation_id in _operation_ids(routes).items():
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            route, handlers[(route.method, route.path)], names, request_schemas, operation_id
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pitchey API",
            "version": load_template()["Globals"]["Function"]["Environment"]["Variables"]["APP_VERSION"],
            "description": (
                "Generated from the code (local/openapi.py): routes and auth from template.yaml, request "
                "bodies from the handlers' pydantic models, error codes from what the handlers' code "
                "raises. Every answer uses the envelope of API.md."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": area} for area in sorted({route.area for route in routes})],
        "paths": paths,
        "components": components,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is not up to date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
