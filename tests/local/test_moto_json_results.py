"""local/moto_fixes.py fix 11: DynamoDB results written with json.dumps read back exactly as through moto's
own serializer, for every attribute type and the operations the application uses."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from local import moto_fixes

ITEM = {
    "id": {"S": "a"},
    "sk": {"N": "1"},
    "n": {"N": "12.50"},
    "b": {"B": b"\x00\xffbytes"},
    "flag": {"BOOL": True},
    "none": {"NULL": True},
    "list": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]},
    "ss": {"SS": ["p", "q"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
}


def _answers() -> list[Any]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="T",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="T", Item=ITEM)
    key = {"id": {"S": "a"}, "sk": {"N": "1"}}
    answers = [
        client.get_item(TableName="T", Key=key)["Item"],
        client.query(
            TableName="T", KeyConditionExpression="id = :a", ExpressionAttributeValues={":a": {"S": "a"}}
        ),
        client.update_item(
            TableName="T",
            Key=key,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"],
        client.batch_get_item(RequestItems={"T": {"Keys": [key]}})["Responses"],
        client.describe_table(TableName="T")["Table"]["KeySchema"],
    ]
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="T", Item=ITEM, ConditionExpression="attribute_not_exists(id)")
    for answer in answers:
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
    return answers


def test_json_results_read_back_as_through_motos_serializer():
    original = DynamoHandler.serialized
    with mock_aws():
        expected = _answers()
    try:
        moto_fixes._json_dynamodb_results()
        assert DynamoHandler.serialized is not original
        with mock_aws():
            assert _answers() == expected
    finally:
        DynamoHandler.serialized = original
