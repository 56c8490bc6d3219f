"""The privacy registry covers the template exactly: every DynamoDB table is in it (or the test fails), and
every index and key attribute it names exists in template.yaml as the hash key it is used as."""

from __future__ import annotations

from local.template import load_template
from pitchey.privacy.registry import TABLES
from tests.unit.iam_support import grants

RESOURCES = load_template()["Resources"]
TEMPLATE_TABLES = {
    name: resource["Properties"]
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::DynamoDB::Table"
}


def _hash_key(schema: list[dict[str, str]]) -> str:
    return next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")


def test_every_template_table_is_in_the_registry_and_nothing_else():
    registered = [entry.logical_id for entry in TABLES]
    assert len(registered) == len(set(registered)), "a table is registered twice"
    assert set(TEMPLATE_TABLES) - set(registered) == set(), "tables missing from pitchey.privacy.registry"
    assert set(registered) - set(TEMPLATE_TABLES) == set(), "registry names tables the template lacks"


def test_each_entry_says_where_the_user_is_or_why_nothing_is():
    for entry in TABLES:
        assert entry.find or entry.through or entry.no_personal_data, entry.logical_id
        if entry.find:
            assert entry.area, f"{entry.logical_id}: found items need an export area"
            assert entry.erasure, f"{entry.logical_id}: say what erasure does"


def test_every_named_index_exists_with_the_user_attribute_as_hash_key():
    for entry in TABLES:
        properties = TEMPLATE_TABLES[entry.logical_id]
        indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
        for rule in entry.find:
            if rule.index is None:
                schema = properties["KeySchema"]
            else:
                assert rule.index in indexes, f"{entry.logical_id} has no index {rule.index}"
                schema = indexes[rule.index]["KeySchema"]
                assert indexes[rule.index]["Projection"]["ProjectionType"] == "ALL", (
                    f"{entry.logical_id}.{rule.index}: the export reads whole items from the index"
                )
            assert _hash_key(schema) == rule.attribute, (
                f"{entry.logical_id}.{rule.index}: not keyed by {rule.attribute}"
            )


def test_registry_env_vars_are_the_templates():
    environment = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    for entry in TABLES:
        assert environment.get(entry.env) == {"Ref": entry.logical_id}, entry.env


def _resources(function: str) -> set[str]:
    """The resources the function's role names: `Table` or `Table/index/*`."""
    return {name for name, _ in grants(function)}


def test_the_export_builder_may_run_every_query_of_the_registry():
    allowed = _resources("PrivacyExportBuilderFunction")
    for entry in TABLES:
        for rule in entry.find:
            if rule.export:
                needed = f"{entry.logical_id}/index/*" if rule.index else entry.logical_id
                assert needed in allowed, f"PrivacyExportBuilderFunction cannot read {needed}"


def test_the_erasure_may_reach_every_index_it_queries():
    allowed = _resources("AccountErasureFunction")
    for entry in TABLES:
        for rule in entry.find:
            if rule.index and entry.erasure and not entry.erasure.startswith("kept"):
                assert f"{entry.logical_id}/index/*" in allowed, entry.logical_id
