"""PynamoDB conventions: table names from the environment, region from the runtime.

The endpoint is never configured here: botocore honours AWS_ENDPOINT_URL, which the local runtime sets,
so the same model talks to DynamoDB on AWS and to moto locally.
"""

from __future__ import annotations

import threading

import botocore.session
from pynamodb.connection import base as _pynamodb_connection

from pitchey.core.config import region

_local = threading.local()


def _shared_session() -> botocore.session.Session:
    """One botocore session per thread for every table: PynamoDB makes one per table connection, and each
    new session parses the endpoint and DynamoDB model JSON again (~60 ms of a cold start per table touched).
    Per thread, as PynamoDB's own, because creating clients on one session is not thread-safe."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = botocore.session.get_session()
    return session


_pynamodb_connection.get_session = _shared_session  # type: ignore[assignment]


class TableMeta:
    region = region()
    max_retry_attempts = 3
    connect_timeout_seconds = 5
    read_timeout_seconds = 10
