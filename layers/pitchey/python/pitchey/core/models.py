"""PynamoDB conventions: table names from the environment, region from the runtime.

The endpoint is never configured here: botocore honours AWS_ENDPOINT_URL, which the local runtime sets,
so the same model talks to DynamoDB on AWS and to moto locally.
"""

from __future__ import annotations

from pitchey.core.config import region


class TableMeta:
    region = region()
    max_retry_attempts = 3
    connect_timeout_seconds = 5
    read_timeout_seconds = 10
