"""docs/openapi.json: generated from the code (local/openapi.py), so it cannot drift from it."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from local import openapi
from local.template import load_template
from tests.events import call, http_event, load_handler

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def fresh() -> dict[str, Any]:
    return openapi.build()


def _template_routes() -> set[tuple[str, str]]:
    """Read here, not through the generator: every HttpApi route with a path."""
    routes = set()
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi" and "Path" in event["Properties"]:
                routes.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return routes


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_checked_in_document_is_a_fresh_generation(fresh):
    assert openapi.OUTPUT.read_text(encoding="utf-8") == openapi.render(fresh), "run `make openapi`"


def test_the_document_names_every_template_route_and_no_other(fresh):
    documented = set(_operations(fresh))
    template = _template_routes()
    assert template - documented == set(), "template routes missing from the document"
    assert documented - template == set(), "document routes the template lacks"
    assert len(template) > 100


def test_it_is_valid_openapi_3_1(fresh):
    assert fresh["openapi"] == "3.1.0"
    validate(fresh)


def test_auth_follows_the_template_and_the_handler(fresh):
    operations = _operations(fresh)
    assert operations[("POST", "/api/pitches")]["security"] == [{"bearerAuth": []}]
    assert operations[("POST", "/api/pitches")]["x-roles"] == ["creator"]
    assert operations[("POST", "/api/auth/{portal}/login")]["security"] == []
    # Optional auth: anonymous or with a token.
    assert operations[("GET", "/api/pitches/{id}")]["security"] == [{}, {"bearerAuth": []}]
    protected = [o for o in operations.values() if o["security"] == [{"bearerAuth": []}]]
    assert protected and all("401" in o["responses"] for o in protected)


def test_request_bodies_and_parameters_come_from_the_handlers(fresh):
    operations = _operations(fresh)
    create = operations[("POST", "/api/pitches")]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreatePitch"
    }
    pitch = fresh["components"]["schemas"]["CreatePitch"]
    assert pitch["additionalProperties"] is False  # InputModel refuses unknown fields
    assert "title" in pitch["properties"]  # camelCase aliases, as on the wire
    browse_parameters = operations[("GET", "/api/pitches/browse")]["parameters"]
    browse = {p.get("name") or p["$ref"] for p in browse_parameters}
    assert {"#/components/parameters/limit", "genre", "sort", "seekingInvestment"} <= browse
    sort = next(p for p in browse_parameters if p.get("name") == "sort")
    assert sort["schema"] == {
        "type": "string",
        "enum": ["featured", "newest", "popular"],
        "default": "newest",
    }
    # reads only ?limit= and answers no paging metadata
    recommendations = operations[("GET", "/api/investment/recommendations")]
    assert recommendations["parameters"] == [{"$ref": "#/components/parameters/limit"}]
    assert "Idempotency-Key" in {p.get("name") for p in create["parameters"]}
    assert "requestBody" not in operations[("GET", "/api/pitches/{id}")]


def test_error_codes_come_from_what_the_code_raises(fresh):
    operations = _operations(fresh)
    register = operations[("POST", "/api/auth/{portal}/register")]["responses"]
    assert "EMAIL_TAKEN" in register["409"]["content"]["application/json"]["examples"]
    transition = operations[("POST", "/api/investments/{id}/transition")]["responses"]
    assert "INVALID_TRANSITION" in transition["409"]["content"]["application/json"]["examples"]
    assert operations[("GET", "/api/pitches/{id}")]["responses"]["404"] == {
        "$ref": "#/components/responses/NotFound"
    }
    for status in ("400", "401", "403", "404", "409", "422", "429"):
        assert status in {s for o in operations.values() for s in o["responses"]}
    assert set(fresh["components"]["responses"]) >= {
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "ValidationFailed",
        "RateLimited",
    }


def test_operation_ids_are_unique(fresh):
    ids = [o["operationId"] for o in _operations(fresh).values()]
    assert len(ids) == len(set(ids))


# --- served by functions/apidocs ------------------------------------------------------------------------
def test_the_document_is_served_as_checked_in():
    answer = load_handler("apidocs/document")(http_event("GET", "/api/openapi.json", headers={}), None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == json.loads(openapi.OUTPUT.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=0.5, *;q=0", True),
        ("identity", False),
        ("", False),
    ],
)
def test_the_document_is_gzipped_for_clients_that_accept_it(accept_encoding, gzipped):
    event = http_event("GET", "/api/openapi.json", headers={"accept-encoding": accept_encoding})
    answer = load_handler("apidocs/document")(event, None)
    assert answer["statusCode"] == 200 and answer["headers"]["Vary"] == "Accept-Encoding"
    if gzipped:
        assert answer["headers"]["Content-Encoding"] == "gzip" and answer["isBase64Encoded"]
        body = gzip.decompress(base64.b64decode(answer["body"]))
        assert len(answer["body"]) < len(body) / 5
    else:
        assert "Content-Encoding" not in answer["headers"]
        body = answer["body"].encode()
    assert json.loads(body) == json.loads(openapi.OUTPUT.read_text(encoding="utf-8"))


def test_the_explorer_page_has_a_restrictive_csp_and_no_inline_script():
    answer = load_handler("apidocs/explorer/explorer")(http_event("GET", "/api/docs"), None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"].startswith("text/html")
    csp = answer["headers"]["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"
    body = answer["body"]
    assert "<script>" not in body and 'src="docs/explorer.js"' in body


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "swagger-ui.css", "explorer.js"])
def test_the_explorer_files_are_served(asset):
    event = http_event("GET", f"/api/docs/{asset}", path_params={"asset": asset})
    answer = load_handler("apidocs/explorer/explorer")(event, None)
    assert answer["statusCode"] == 200
    assert len(answer["body"]) > 100


def test_an_unknown_explorer_file_is_a_404():
    handler = load_handler("apidocs/explorer/explorer")
    for name in ("../explorer.py", "index.html", "openapi.json"):
        answer = call(handler, http_event("GET", f"/api/docs/{name}", path_params={"asset": name}))
        assert answer.status == 404 and answer.code == "NOT_FOUND"


def test_every_error_example_is_a_valid_envelope(fresh):
    import jsonschema

    envelope = fresh["components"]["schemas"]["ErrorEnvelope"]
    examples = [
        example["value"]
        for operation in _operations(fresh).values()
        for response in operation["responses"].values()
        for example in response.get("content", {}).get("application/json", {}).get("examples", {}).values()
    ]
    assert len(examples) > 50
    for example in examples:
        jsonschema.validate(example, envelope)
