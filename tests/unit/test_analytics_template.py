"""The analytics block of template.yaml: routes as API.md names them, the schedule, the tables; no Scan."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from local.template import load_template
from tests.unit.iam_support import managed_policies

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = load_template()["Resources"]
ROUTES = {
    ("POST", "/api/analytics/track"): ("track", True),
    ("GET", "/api/analytics/dashboard"): ("dashboard", False),
    ("GET", "/api/analytics/pitch/{id}"): ("pitch", False),
    ("GET", "/api/analytics/realtime"): ("realtime", False),
}


def functions():
    return {n: r["Properties"] for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


@pytest.mark.parametrize(("route", "expected"), sorted(ROUTES.items()))
def test_routes_are_declared_with_their_handlers(route, expected):
    handler, public = expected
    found = [
        (name, props, event["Properties"])
        for name, props in functions().items()
        for event in (props.get("Events") or {}).values()
        if event["Type"] == "HttpApi"
        and (event["Properties"].get("Method"), event["Properties"].get("Path")) == route
    ]
    assert len(found) == 1, route
    name, props, event = found[0]
    assert props["CodeUri"] == "functions/analytics/" and props["Handler"] == f"{handler}.handler"
    assert (ROOT / "functions" / "analytics" / f"{handler}.py").exists()
    assert {"Ref": "RequestPipelinePolicy"} in managed_policies(name)
    assert (event.get("Auth") == {"Authorizer": "NONE"}) == public


def test_the_aggregation_runs_every_five_minutes_on_its_named_schedule():
    props = functions()["AnalyticsAggregateFunction"]
    schedule = props["Events"]["AnalyticsAggregationSchedule"]
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"] == "rate(5 minutes)"
    assert props["Timeout"] == 300  # aggregator.LEASE_SECONDS allows for it


def test_tables_expire_raw_events_and_index_trending():
    events = RESOURCES["AnalyticsEventsTable"]["Properties"]
    assert events["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert [k["AttributeName"] for k in events["KeySchema"]] == ["bucket", "sk"]
    aggregates = RESOURCES["AnalyticsAggregatesTable"]["Properties"]
    assert [i["IndexName"] for i in aggregates["GlobalSecondaryIndexes"]] == ["trending"]


def test_every_function_that_records_server_events_may_write_them():
    for name in ("PitchLikeFunction", "NdaRequestFunction", "NdaSignFunction"):
        assert {"Ref": "AnalyticsRecordPolicy"} in managed_policies(name), name


@pytest.mark.parametrize(
    "path", sorted((ROOT / "functions" / "analytics").glob("*.py")), ids=lambda p: p.name
)
def test_handlers_import_only_the_layer(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] in ("pitchey", "typing"), (path.name, node.module)
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] == "pitchey" for a in node.names), path.name


def test_no_scan_in_analytics_code():
    for path in (ROOT / "layers" / "pitchey" / "python" / "pitchey" / "analytics").glob("*.py"):
        assert ".scan(" not in path.read_text(), path
