"""The unit tests' shared moto (tests/unit/conftest.py): set up once, yet every test starts from empty."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from local.template import TABLE_TYPES, bucket_logical_ids, local_bucket_name, resources_of_type
from tests.unit.conftest import TEMPLATE

TABLES = sorted(resources_of_type(TEMPLATE, *TABLE_TYPES))
BUCKETS = [local_bucket_name(logical_id) for logical_id in bucket_logical_ids(TEMPLATE)]


def key_of(table: str, value: str = "k") -> dict[str, dict[str, str]]:
    """A key for the table: string key attributes set to `value`, number ones to its length."""
    described = boto3.client("dynamodb").describe_table(TableName=table)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    return {
        key["AttributeName"]: {"N": str(len(value))} if types[key["AttributeName"]] == "N" else {"S": value}
        for key in described["KeySchema"]
    }


def put(table: str, value: str = "k") -> None:
    boto3.client("dynamodb").put_item(TableName=table, Item=key_of(table, value))


def assert_pristine() -> None:
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    assert sorted(dynamodb.list_tables()["TableNames"]) == TABLES
    for table in TABLES:
        assert dynamodb.scan(TableName=table)["Count"] == 0, table
    assert sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]) == sorted(BUCKETS)
    for bucket in BUCKETS:
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert boto3.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert boto3.client("ses").list_identities()["Identities"] == []


def test_a_reset_leaves_nothing_of_what_a_test_wrote(aws, _moto):
    assert_pristine()
    for table in TABLES:
        put(table)
    boto3.client("s3").put_object(Bucket=BUCKETS[0], Key="left/over.txt", Body=b"x")
    boto3.client("stepfunctions").create_state_machine(
        name="left-over",
        definition='{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/r",
    )
    boto3.client("ses").verify_email_identity(EmailAddress="left@over.test")

    _moto.reset()
    assert_pristine()


def test_tables_a_test_replaced_come_back_and_tables_it_created_go(aws, _moto):
    dynamodb = boto3.client("dynamodb")
    schema = dynamodb.describe_table(TableName=TABLES[0])["Table"]["KeySchema"]
    dynamodb.delete_table(TableName=TABLES[0])
    dynamodb.delete_table(TableName=TABLES[1])
    for name in (TABLES[0], "Scratch"):  # an empty table under a template name, with another key
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    _moto.reset()
    assert_pristine()
    assert dynamodb.describe_table(TableName=TABLES[0])["Table"]["KeySchema"] == schema


def test_a_written_then_deleted_item_leaves_no_stream_records(aws, _moto):
    """An empty table may still hold stream records; the next test must not read them."""
    dynamodb = boto3.client("dynamodb")
    streamed = [t for t in TABLES if dynamodb.describe_table(TableName=t)["Table"].get("LatestStreamArn")]
    assert streamed, "the template has tables with streams"
    put(streamed[0], "gone")
    dynamodb.delete_item(TableName=streamed[0], Key=key_of(streamed[0], "gone"))

    _moto.reset()
    streams = boto3.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=streamed[0])["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"] == []


def test_a_cancelled_transaction_still_resets(aws, _moto):
    """moto restores a cancelled TransactWriteItems by swapping its tables dict: the reset follows it."""
    put(TABLES[0])
    key = key_of(TABLES[0])
    check = {
        "TableName": TABLES[0],
        "Key": key,
        "ConditionExpression": f"attribute_not_exists({next(iter(key))})",
    }
    with pytest.raises(ClientError, match="TransactionCanceled"):
        boto3.client("dynamodb").transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLES[1], "Item": key_of(TABLES[1])}},
                {"ConditionCheck": check},
            ]
        )
    _moto.reset()
    assert_pristine()
