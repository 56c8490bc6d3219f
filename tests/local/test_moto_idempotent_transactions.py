"""local/moto_fixes.py fix 14: TransactWriteItems honours ClientRequestToken as DynamoDB does, so an SDK
retry of a transaction whose answer was lost (applied, then resent) is not applied twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from local import moto_fixes


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    original = DynamoHandler.transact_write_items
    moto_fixes._idempotent_transactions()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName="Funds",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            client.put_item(TableName="Funds", Item={"id": {"S": "goal"}, "raised": {"N": "0"}})
            yield client
    finally:
        DynamoHandler.transact_write_items = original


def commit(client: Any, token: str | None, amount: int = 30) -> Any:
    update = {
        "TableName": "Funds",
        "Key": {"id": {"S": "goal"}},
        "UpdateExpression": "ADD raised :a",
        "ConditionExpression": "raised <= :room",
        "ExpressionAttributeValues": {":a": {"N": str(amount)}, ":room": {"N": str(100 - amount)}},
    }
    extra = {"ClientRequestToken": token} if token else {}
    return client.transact_write_items(TransactItems=[{"Update": update}], **extra)


def raised(client: Any) -> int:
    item = client.get_item(TableName="Funds", Key={"id": {"S": "goal"}}, ConsistentRead=True)["Item"]
    return int(item["raised"]["N"])


def test_a_resent_transaction_is_applied_once(dynamodb: Any) -> None:
    commit(dynamodb, "commit-1")
    commit(dynamodb, "commit-1")  # the SDK's resend after a lost answer: succeeds, applies nothing
    assert raised(dynamodb) == 30
    commit(dynamodb, "commit-2")
    assert raised(dynamodb) == 60


def test_without_a_token_every_request_applies(dynamodb: Any) -> None:
    commit(dynamodb, None)
    commit(dynamodb, None)
    assert raised(dynamodb) == 60


def test_the_same_token_with_other_parameters_is_refused(dynamodb: Any) -> None:
    commit(dynamodb, "commit-1")
    with pytest.raises(ClientError) as refused:
        commit(dynamodb, "commit-1", amount=10)
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert raised(dynamodb) == 30


def test_a_cancelled_transaction_can_be_sent_again(dynamodb: Any) -> None:
    commit(dynamodb, "a", amount=80)
    with pytest.raises(ClientError):
        commit(dynamodb, "b", amount=30)  # over the goal: cancelled, nothing remembered
    dynamodb.update_item(
        TableName="Funds",
        Key={"id": {"S": "goal"}},
        UpdateExpression="SET raised = :z",
        ExpressionAttributeValues={":z": {"N": "0"}},
    )
    commit(dynamodb, "b", amount=30)
    assert raised(dynamodb) == 30
