"""moto in-process for the unit tests: started once per session (per xdist worker), emptied before each test.

Building the template's tables took about three quarters of the unit tests' time, so they are created once;
each test that asks for `aws` then starts from that pristine state: every table that is not exactly as it was
created is replaced by a copy of its empty original (moto's own TransactWriteItems rollback swaps the tables
dict the same way), and every other service (S3, SES, Step Functions, ...) is reset and the template's
buckets are created again.

Settings (pitchey.core.settings) are read from the environment once and cached: each test starts with a
fresh read, and a test or fixture that changes a variable uses `setenv`, which reads them again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

from local.motopatch import serialize_dynamodb_requests
from local.template import bucket_logical_ids, create_tables, load_template, local_bucket_name
from pitchey.core.settings import settings

TEMPLATE = load_template()
REGION = "us-east-1"
serialize_dynamodb_requests()  # moto applies each DynamoDB request atomically, like DynamoDB


class MotoState:
    """The session's moto: the template's tables as created, and how to get back to them."""

    def __init__(self) -> None:
        create_tables(boto3.client("dynamodb"), TEMPLATE)
        self.dynamodb = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
        self.pristine = copy.deepcopy(self.dynamodb.tables)  # empty tables, never handed out
        self.installed: dict[str, Any] = dict(self.dynamodb.tables)  # the objects tests currently use

    def reset(self) -> None:
        self._reset_tables()
        self._reset_other_services()
        # Straight into moto's S3 backend: through boto3, two CreateBucket calls would cost 20 times the rest.
        s3 = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
        for logical_id in bucket_logical_ids(TEMPLATE):
            s3.create_bucket(local_bucket_name(logical_id), REGION)

    def _reset_tables(self) -> None:
        tables = self.dynamodb.tables
        for name in list(tables):
            if name not in self.pristine:
                del tables[name]  # created by a test
        for name, empty in self.pristine.items():
            table = tables.get(name)
            if table is None or table is not self.installed[name] or _used(table):
                table = tables[name] = copy.deepcopy(empty)
                self.installed[name] = table

    @staticmethod
    def _reset_other_services() -> None:
        for backends in list(BackendDict._instances):
            if backends is dynamodb_backends:
                continue
            for account_backends in backends.values():
                account_backends.reset()


def _used(table: Any) -> bool:
    """Whether a test wrote to the table: it holds items or stream records (a written-then-deleted item
    still leaves its records in the stream)."""
    shard = getattr(table, "stream_shard", None)
    return bool(table.items) or bool(shard is not None and shard.items)


@pytest.fixture(scope="session")
def _moto() -> Iterator[MotoState]:
    with mock_aws():
        yield MotoState()


@pytest.fixture
def aws(_moto: MotoState) -> None:
    """moto in-process with every table and bucket of template.yaml, empty for this test."""
    _moto.reset()


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    settings.cache_clear()  # whatever an earlier test set (and monkeypatch undid) is read again


@pytest.fixture
def setenv(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """setenv(NAME, value): set an environment variable for this test and have the settings read it."""

    def set_variable(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        settings.cache_clear()

    return set_variable
