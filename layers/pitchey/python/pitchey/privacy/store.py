"""Raw DynamoDB access by the privacy registry's names: Queries (never a Scan) that page to the end, and
items as plain JSON-ready values. The export and the erasure read every table through here."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pitchey.core.config import region
from pitchey.privacy.registry import Find, Table


@functools.cache
def client() -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=region())


@functools.cache
def _serde() -> tuple[Any, Any]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeDeserializer(), TypeSerializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as JSON values (numbers as int/float, sets as sorted lists)."""
    deserializer = _serde()[0]
    return {name: _json(deserializer.deserialize(value)) for name, value in item.items()}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(_json(v) for v in value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return value


def wire(value: Any) -> dict[str, Any]:
    return _serde()[1].serialize(value)


def query(
    table_name: str,
    attribute: str,
    value: str,
    index: str | None = None,
    *,
    begins_with: tuple[str, str] | None = None,
    filter_equals: tuple[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item (raw) whose `attribute` is `value`, on the table or on `index`, paging to the end."""
    names = {"#k": attribute}
    values: dict[str, Any] = {":v": {"S": value}}
    condition = "#k = :v"
    if begins_with:
        names["#r"], values[":r"] = begins_with[0], {"S": begins_with[1]}
        condition += " AND begins_with(#r, :r)"
    params: dict[str, Any] = {"TableName": table_name, "KeyConditionExpression": condition}
    if filter_equals:
        names["#f"], values[":f"] = filter_equals[0], {"S": filter_equals[1]}
        params["FilterExpression"] = "#f = :f"
    params.update(ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    if index:
        params["IndexName"] = index
    while True:
        answer = client().query(**params)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def find(table: Table, rule: Find, values: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The items `rule` finds for the user (`values`: user_id, email)."""
    yield from query(table.name, rule.attribute, rule.value.format(**values), rule.index)


def get(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    answer = client().get_item(
        TableName=table_name, Key={k: wire(v) for k, v in key.items()}, ConsistentRead=True
    )
    return answer.get("Item")


def key_of(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """The primary key of a raw item (from an index Query, which carries the table's key too)."""
    return {name: item[name] for name in key_names(table_name)}


@functools.cache
def key_names(table_name: str) -> tuple[str, ...]:
    schema = client().describe_table(TableName=table_name)["Table"]["KeySchema"]
    return tuple(part["AttributeName"] for part in schema)
