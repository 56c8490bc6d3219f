"""The pitches block of template.yaml: routes as API.md names them, public ones open, policies, bucket."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from local.template import load_template
from tests.unit.iam_support import managed_policies

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]

ROUTES = {
    ("POST", "/api/pitches"): "pitches/create",
    ("POST", "/api/pitches/create"): "pitches/create",
    ("GET", "/api/pitches/{id}"): "pitches/get",
    ("PUT", "/api/pitches/{id}"): "pitches/update",
    ("PUT", "/api/pitches/{id}/update"): "pitches/update",
    ("DELETE", "/api/pitches/{id}"): "pitches/delete",
    ("GET", "/api/pitches/{id}/history"): "pitches/history",
    ("GET", "/api/pitches/my"): "pitches/my",
    ("GET", "/api/pitches/browse"): "pitches/browse",
    ("GET", "/api/pitches/public"): "pitches/browse",
    ("GET", "/api/pitches/trending"): "pitches/trending",
    ("GET", "/api/pitches/following"): "pitches/following",
    ("POST", "/api/pitches/{id}/media"): "pitches/media_upload",
    ("GET", "/api/pitches/{id}/media/{mediaId}"): "pitches/media_download",
    ("POST", "/api/pitches/{id}/like"): "pitches/like",
    ("DELETE", "/api/pitches/{id}/like"): "pitches/unlike",
    ("POST", "/api/follows"): "follows/follow",
    ("DELETE", "/api/follows/{targetType}/{targetId}"): "follows/unfollow",
    ("GET", "/api/follows/following"): "follows/following",
    ("GET", "/api/follows/followers"): "follows/followers",
}
PUBLIC = {
    ("GET", "/api/pitches/{id}"),
    ("GET", "/api/pitches/browse"),
    ("GET", "/api/pitches/public"),
    ("GET", "/api/pitches/trending"),
    ("GET", "/api/pitches/{id}/media/{mediaId}"),
}


def declared_routes():
    routes = {}
    for name, resource in RESOURCES.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi" and "Path" in event["Properties"]:
                key = (event["Properties"]["Method"], event["Properties"]["Path"])
                routes[key] = (name, props, event["Properties"])
    return routes


@pytest.mark.parametrize(("route", "module"), sorted(ROUTES.items()))
def test_every_route_is_declared_with_its_handler(route, module):
    name, props, event = declared_routes()[route]
    area, handler = module.split("/")
    assert props["CodeUri"] == f"functions/{area}/"
    assert props["Handler"] == f"{handler}.handler"
    assert (ROOT / "functions" / area / f"{handler}.py").exists()
    assert {"Ref": "RequestPipelinePolicy"} in managed_policies(name)
    is_public = event.get("Auth") == {"Authorizer": "NONE"}
    assert is_public == (route in PUBLIC), route


def test_static_pitch_paths_are_exact_routes_next_to_the_id_route():
    # API Gateway prefers an exact path over {id}; each static path must be its own route.
    routes = declared_routes()
    for path in ("my", "browse", "public", "trending", "following"):
        assert ("GET", f"/api/pitches/{path}") in routes


def test_media_bucket_is_encrypted_private_tls_only_and_cors_enabled():
    props = RESOURCES["MediaBucket"]["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert "POST" in props["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]
    statements = RESOURCES["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    tls = next(s for s in statements if s["Sid"] == "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert env["MEDIA_BUCKET"] == {"Ref": "MediaBucket"}


def test_pitch_tables_are_declared_with_their_indexes():
    indexes = {ix["IndexName"] for ix in RESOURCES["PitchesTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes == {
        "byCreator",
        "published",
        "publishedByGenre",
        "publishedByFormat",
        "publishedByCreator",
        "popular",
        "featuredFirst",
    }
    assert RESOURCES["PitchViewsTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "ttl",
        "Enabled": True,
    }
    investments = RESOURCES["InvestmentsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert [ix["IndexName"] for ix in investments] == ["byPitch", "byInvestor"]


HANDLER_FILES = sorted((ROOT / "functions" / "pitches").glob("*.py")) + sorted(
    (ROOT / "functions" / "follows").glob("*.py")
)


@pytest.mark.parametrize("path", HANDLER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_handlers_import_only_the_layer(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert all(name.split(".")[0] == "pitchey" for name in names), (path.name, names)


def test_no_scan_in_pitches_or_follows_code():
    layer = ROOT / "layers" / "pitchey" / "python" / "pitchey"
    for path in [*(layer / "pitches").glob("*.py"), *(layer / "follows").glob("*.py")]:
        assert ".scan(" not in path.read_text(), path
