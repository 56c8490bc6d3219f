from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.motopatch import serialize_dynamodb_requests
from local.template import bucket_logical_ids, create_tables, load_template, local_bucket_name

TEMPLATE = load_template()
serialize_dynamodb_requests()  # moto applies each DynamoDB request atomically, like DynamoDB


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process with every table and bucket of template.yaml, fresh for each test."""
    with mock_aws():
        create_tables(boto3.client("dynamodb"), TEMPLATE)
        s3 = boto3.client("s3")
        for logical_id in bucket_logical_ids(TEMPLATE):
            s3.create_bucket(Bucket=local_bucket_name(logical_id))
        yield
