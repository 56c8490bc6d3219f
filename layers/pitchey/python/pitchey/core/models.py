"""PynamoDB conventions: table names from the environment, region from the runtime.

The endpoint is never configured here: botocore honours AWS_ENDPOINT_URL, which the local runtime sets,
so the same model talks to DynamoDB on AWS and to moto locally.
"""

from __future__ import annotations

import os
import threading
from typing import Any

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

_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()
_own_client = _pynamodb_connection.Connection.client.fget


def _shared_client(connection: _pynamodb_connection.Connection) -> Any:
    """One DynamoDB client per process for every table with the same settings (all of ours, TableMeta):
    PynamoDB makes one per table connection, which costs a cold start a client (~5 ms) and a TCP connection
    per table a request touches. botocore clients are safe to share between threads once made. PynamoDB's
    own client property still makes it (and replaces one whose credentials came back empty); the
    per-connection extra headers it hooks on are not used here."""
    if _usable(connection._client):  # every call after the first: no key to build
        return connection._client
    key = (
        connection.region,
        connection.host or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL"),
        connection._connect_timeout_seconds,
        connection._read_timeout_seconds,
        connection._max_retry_attempts_exception,
        connection._max_pool_connections,
    )
    client = _clients.get(key)
    if not _usable(client):
        with _clients_lock:
            client = _clients.get(key)
            if not _usable(client):
                connection._client = None
                client = _clients[key] = _own_client(connection)
    connection._client = client
    return client


def _usable(client: Any) -> bool:
    """PynamoDB's own test: a client whose credentials came back empty is made again."""
    return client is not None and not (client._request_signer and not client._request_signer._credentials)


_pynamodb_connection.Connection.client = property(_shared_client)  # type: ignore[assignment]


class TableMeta:
    region = region()
    max_retry_attempts = 3
    connect_timeout_seconds = 5
    read_timeout_seconds = 10
