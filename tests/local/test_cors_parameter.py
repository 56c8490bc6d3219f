"""The HttpApi's CORS origins come from the AllowedOrigins Parameter, and the local gateway honours them."""

from __future__ import annotations

from local.httpapi import CorsPolicy, HttpRequest
from local.model import AppModel, HttpApi, Resolver, parameter_values
from local.template import TEMPLATE_PATH, load_template


def gateway_cors(overrides: dict[str, str]) -> CorsPolicy:
    template = load_template(TEMPLATE_PATH)
    resolver = Resolver(template, parameter_values(template, overrides))
    config = resolver.resolve(template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"], "HttpApi")
    return CorsPolicy(HttpApi("HttpApi", "local", "dev", cors=AppModel._cors(config)))


def preflight(origin: str) -> HttpRequest:
    headers = [("Origin", origin), ("Access-Control-Request-Method", "PUT")]
    return HttpRequest("OPTIONS", "/api/pitches/x", "", headers, b"", "127.0.0.1")


def test_the_default_is_the_web_apps_dev_origin() -> None:
    cors = gateway_cors({})
    assert cors.cors is not None and cors.cors.allow_origins == ["http://localhost:5173"]
    assert cors.preflight(preflight("http://localhost:5173")).header("Access-Control-Allow-Origin") == (
        "http://localhost:5173"
    )
    assert cors.preflight(preflight("https://evil.example")).headers == []


def test_a_comma_separated_override_allows_exactly_those_origins() -> None:
    cors = gateway_cors({"AllowedOrigins": "https://app.pitchey.example,https://admin.pitchey.example"})
    for origin in ("https://app.pitchey.example", "https://admin.pitchey.example"):
        assert cors.preflight(preflight(origin)).header("Access-Control-Allow-Origin") == origin
    for origin in ("http://localhost:5173", "https://app.pitchey.example.evil.test"):
        assert cors.preflight(preflight(origin)).header("Access-Control-Allow-Origin") is None
