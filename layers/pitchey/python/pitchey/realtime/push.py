"""Pushing frames to WebSockets through API Gateway's management API (`@connections`).

A frame is `{"type": ..., "data": ..., "timestamp": ...}` (API.md). A user gets every frame on each of
their live connections; a connection that answers GoneException is closed on the client side and is
deleted here, together with its subscriptions and its share of the user's presence. Connections whose
session was revoked (logout) are closed and dropped rather than sent anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, PutError

from pitchey.auth.models import Session
from pitchey.core import clock
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.notifications.models import Notification, notification_view
from pitchey.realtime import connections, presence
from pitchey.realtime.channels import pitch_visibility
from pitchey.realtime.models import Connection, RealtimeState

BROADCAST_MARKER_SECONDS = 24 * 3600  # cleanup only; the window below decides
BROADCAST_DEDUPE_WINDOW = timedelta(seconds=30)
FAN_OUT_THREADS = 16
_management: Any = None
_executor: ThreadPoolExecutor | None = None


class PushError(Exception):
    """Some connection could not be reached for a reason other than being gone; worth a retry."""


def management_client() -> Any:
    """Created on first use, for the stage's management endpoint (env WEBSOCKET_MANAGEMENT_ENDPOINT)."""
    global _management
    if _management is None:
        import boto3

        _management = boto3.client(
            "apigatewaymanagementapi", endpoint_url=settings().require("websocket_management_endpoint")
        )
    return _management


def frame(frame_type: str, data: dict[str, Any], **extra: Any) -> bytes:
    payload = {"type": frame_type, "data": data, "timestamp": clock.iso(), **extra}
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


# --- posting ----------------------------------------------------------------------------------------------
def _post(connection_id: str, payload: bytes) -> bool:
    """True if posted; False if the connection is gone. Other errors propagate."""
    try:
        management_client().post_to_connection(ConnectionId=connection_id, Data=payload)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "GoneException":
            return False
        raise


def post_many(connection_ids: list[str], payload: bytes) -> tuple[int, list[str]]:
    """Posts to each connection (in parallel when there are several). Returns (sent, gone ids); raises
    PushError after trying them all if any failed otherwise."""
    if len(connection_ids) <= 1:
        outcomes = [_attempt(connection_id, payload) for connection_id in connection_ids]
    else:
        outcomes = list(_pool().map(lambda cid: _attempt(cid, payload), connection_ids))
    gone = [cid for cid, outcome in zip(connection_ids, outcomes, strict=True) if outcome is False]
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if errors:
        raise PushError(f"{len(errors)} of {len(connection_ids)} posts failed: {errors[0]}") from errors[0]
    return sum(1 for outcome in outcomes if outcome is True), gone


def _attempt(connection_id: str, payload: bytes) -> bool | Exception:
    try:
        return _post(connection_id, payload)
    except Exception as error:
        logger.warning("post_to_connection failed", extra={"connection_id": connection_id})
        return error


# --- connections come and go ----------------------------------------------------------------------------
def connection_opened(connection: Connection) -> None:
    """After $connect stored the connection: announce the user online if it is their first one."""
    if presence.opened(connection.user_id):
        announce(connection.user_id, online=True)


def drop_connection(connection_id: str, *, close_socket: bool = False) -> None:
    """Forget a connection ($disconnect, Gone, revoked session); the last one of a user → offline."""
    if close_socket:
        with contextlib.suppress(ClientError):  # already closed
            management_client().delete_connection(ConnectionId=connection_id)
    removed = connections.remove_connection(connection_id)
    if removed is not None and presence.closed(removed.user_id):
        announce(removed.user_id, online=False)


def announce(user_id: str, *, online: bool) -> None:
    """Best effort: a presence frame to each connected member of the user's presence audience; failures
    are logged, never raised."""
    payload = frame("presence", presence.presence_data(user_id, online))
    try:
        audience = presence.audience(user_id)
    except Exception:
        logger.exception("presence: audience lookup failed", extra={"user_id": user_id})
        return
    for member_id in audience:
        try:
            send_to_user(member_id, payload)
        except Exception:
            logger.exception("presence: push failed", extra={"member_id": member_id})


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=FAN_OUT_THREADS, thread_name_prefix="push")
    return _executor


def _session_states(user_id: str) -> dict[str, bool]:
    """session id → live, for the user's sessions (Sessions index byUser)."""
    return {session.id: session.is_live() for session in Session.by_user.query(user_id)}


def live_connections_of(user_id: str) -> list[Connection]:
    """The user's connections whose session is still live (logout applies to WebSockets too); the others
    are closed and dropped. The sessions are read in parallel with the connections (one round trip of
    latency); a session the index does not show yet (a login moments ago) is read from the table."""
    sessions = _pool().submit(_session_states, user_id)
    candidates = connections.connections_of(user_id)
    states = sessions.result()
    unseen = {item.session_id for item in candidates} - states.keys()
    if unseen:
        states.update(
            {
                session.id: session.is_live() and session.user_id == user_id
                for session in Session.batch_get(unseen, consistent_read=True)
            }
        )
    live = []
    for item in candidates:
        if states.get(item.session_id):
            live.append(item)
        else:
            drop_connection(item.connection_id, close_socket=True)
    return live


def send_to_user(user_id: str, payload: bytes, *, unless_subscribed_to: str | None = None) -> int:
    """Posts to every live connection of the user (except those subscribed to `unless_subscribed_to`, which
    hear the change on that channel instead); returns how many received it."""
    targets = live_connections_of(user_id)
    if unless_subscribed_to is not None:
        targets = [item for item in targets if unless_subscribed_to not in (item.subscriptions or set())]
    sent, gone = post_many([item.connection_id for item in targets], payload)
    for connection_id in gone:
        drop_connection(connection_id)
    return sent


def live_only(items: Iterable[Any]) -> list[Any]:
    """The given connections (anything with .connection_id, e.g. channel subscriptions) whose session is
    still live; the others are closed and dropped, so a logged-out socket stops hearing channels at once.
    Two batch reads: the connections (for their session ids), then those sessions."""
    items = list(items)
    if not items:
        return []
    records = {c.connection_id: c for c in Connection.batch_get({item.connection_id for item in items})}
    owners = {record.session_id: record.user_id for record in records.values()}
    live = {
        session.id
        for session in Session.batch_get(set(owners), consistent_read=True)
        if session.is_live() and session.user_id == owners[session.id]
    }
    kept = []
    for item in items:
        record = records.get(item.connection_id)
        if record is not None and record.session_id in live:
            kept.append(item)
        else:
            drop_connection(item.connection_id, close_socket=True)
    return kept


def send_to_connections(items: Iterable[Any], payload: bytes) -> int:
    """Posts to those of the given connections whose session is live; Gone ones are dropped."""
    sent, gone = post_many([item.connection_id for item in live_only(items)], payload)
    for connection_id in gone:
        drop_connection(connection_id)
    return sent


# --- notifications --------------------------------------------------------------------------------------
def deliver_notification(notification: Notification) -> int:
    """The live half of `notify`: the frame to each connection of the recipient, and a pitch update to the
    pitch's channel. A connection subscribed to that channel gets the channel's frame only, so each
    connection hears of a change once. Returns the number of notification frames sent to the recipient."""
    pitch_id = (notification.data or {}).get("pitchId")
    channel = None
    if notification.type == "pitch_update" and isinstance(pitch_id, str) and pitch_id:
        channel = f"pitch:{pitch_id}"
    payload = frame(notification.type, notification_view(notification))
    sent = send_to_user(notification.user_id, payload, unless_subscribed_to=channel)
    if channel is not None:
        broadcast_pitch_update(pitch_id, notification)
    return sent


def channel_event(pitch_id: str, notification: Notification) -> dict[str, Any]:
    """What a `pitch:<id>` frame carries: the change, never a recipient's notification (its id, read flag)."""
    return {
        "pitchId": pitch_id,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "at": clock.iso(clock.from_iso(notification.created_at)),
    }


def broadcast_pitch_update(pitch_id: str, notification: Notification) -> int:
    """A change to a pitch reaches the connections subscribed to `pitch:<id>` once, although the pitches
    context writes one pitch_update notification per follower (same content, written within moments).

    The record that claims the broadcast marker for that content sends it: the claim succeeds only if no
    broadcast of the same content was made within BROADCAST_DEDUPE_WINDOW of this notification's
    createdAt, so a later identical change is still broadcast while a fan-out (or a retried batch) is not
    sent twice. Only subscribers still allowed to see the pitch (and whose session is live) get it,
    recipients of the notifications included: their subscribed connections were not sent the notification."""
    channel = f"pitch:{pitch_id}"
    content = json.dumps(
        [notification.type, notification.title, notification.body, notification.data],
        sort_keys=True,
        default=str,
    )
    created = clock.from_iso(notification.created_at)
    marker = RealtimeState(
        f"broadcast#{channel}#{hashlib.sha256(content.encode()).hexdigest()[:32]}",
        at=notification.created_at,
        ttl=clock.epoch() + BROADCAST_MARKER_SECONDS,
    )
    earlier = clock.iso_precise(created - BROADCAST_DEDUPE_WINDOW)
    try:
        marker.save(condition=RealtimeState.key.does_not_exist() | (RealtimeState.at < earlier))
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return 0  # another record of the same change did it
        raise
    try:
        visibility = pitch_visibility(pitch_id)
        if visibility is None:
            return 0
        creator_id, status = visibility
        audience = [
            item
            for item in connections.subscribers(channel)
            if status == "published" or item.user_id == creator_id
        ]
        payload = frame("pitch_update", channel_event(pitch_id, notification), channel=channel)
        return send_to_connections(audience, payload)
    except Exception:
        # Let the retried record broadcast it (unless a newer change has claimed the marker since).
        with contextlib.suppress(DeleteError):
            marker.delete(condition=RealtimeState.at == notification.created_at)
        raise
