"""Open WebSocket connections: the registry the gateway fills and `@connections` reads, and sending frames."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
PENDING_CONNECTION_WAIT = 2.0  # a post racing the end of the handshake waits this long for it


def aws_id() -> str:
    """An id shaped like API Gateway's connection/request ids (base64 of 10 bytes), URL-safe alphabet."""
    return base64.urlsafe_b64encode(os.urandom(10)).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Connection:
    connection_id: str
    connected_at: int  # epoch ms
    source_ip: str
    user_agent: str
    domain_name: str
    authorizer: dict[str, Any] | None
    socket: ServerConnection | None = None
    last_active_at: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    gone: bool = False


class ConnectionRegistry:
    """Connections by id. Used on the gateway's event loop only (asyncio.Event is not thread-safe)."""

    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}

    def add(self, conn: Connection) -> None:
        self.connections[conn.connection_id] = conn

    def forget(self, conn: Connection) -> None:
        conn.gone = True
        self.connections.pop(conn.connection_id, None)
        conn.ready.set()  # wake posts waiting for the handshake: they answer Gone

    async def find(self, connection_id: str) -> Connection | None:
        """The live connection; one still in its handshake is waited for (a notification written right
        after `$connect` stored the id must not be lost)."""
        conn = self.connections.get(connection_id)
        if conn is None or conn.gone:
            return None
        if not conn.ready.is_set():
            try:
                await asyncio.wait_for(conn.ready.wait(), timeout=PENDING_CONNECTION_WAIT)
            except TimeoutError:
                return None
        return None if conn.gone else conn

    async def post(self, connection_id: str, data: bytes) -> int:
        """PostToConnection: 200, 410 (Gone) or 413 (too large). UTF-8 data goes as a text frame."""
        if len(data) > MAX_MESSAGE_BYTES:
            return 413
        conn = await self.find(connection_id)
        if conn is None or conn.socket is None:
            return 410
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        try:
            await conn.socket.send(text if text is not None else data)
        except ConnectionClosed:
            return 410
        return 200

    async def describe(self, connection_id: str) -> dict[str, Any] | None:
        """GetConnection's answer, None when Gone."""
        conn = await self.find(connection_id)
        if conn is None:
            return None
        return {
            "connectedAt": iso(conn.connected_at),
            "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
            "lastActiveAt": iso(conn.last_active_at),
        }

    async def delete(self, connection_id: str) -> bool:
        """DeleteConnection: marks the connection Gone at once and closes it (then `$disconnect` fires)."""
        conn = await self.find(connection_id)
        if conn is None or conn.socket is None:
            return False
        conn.gone = True
        asyncio.get_running_loop().create_task(conn.socket.close(1000, "Going away"))
        return True

    async def reply(self, conn: Connection, data: str | bytes) -> None:
        """A frame from the gateway itself (two-way answers, gateway errors); a closed socket drops it."""
        if conn.socket is None or conn.gone:
            return
        with contextlib.suppress(ConnectionClosed):
            await conn.socket.send(data)


def close_status(socket: ServerConnection) -> tuple[int, str]:
    """The close code/reason API Gateway reports in $disconnect (1005 when the client sent none)."""
    received = socket.protocol.close_rcvd
    sent = socket.protocol.close_sent
    if received is not None:
        if received.code == 1005:
            return 1005, "Client-side close frame status not set"
        return received.code, received.reason
    if sent is not None:
        return sent.code, sent.reason or "Connection closed by the server"
    return 1006, "Connection closed abnormally"
