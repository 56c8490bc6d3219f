"""Where AWS resources are: table names and the region, read when a model class is defined.

The application's own settings are pitchey.core.settings."""

from __future__ import annotations

import functools
import os
from typing import Any


def table_name(env_var: str, logical_id: str) -> str:
    """Deployed names come from `!Ref`; tests and the local runtime use the logical id."""
    return os.environ.get(env_var) or logical_id


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


@functools.cache
def aws_client(service: str) -> Any:
    """One boto3 client per service and process, made on first use (boto3 is imported only then)."""
    import boto3

    return boto3.client(service, region_name=region())
