"""Helpers shared by the notifications and realtime unit tests (session revocation, stream records,
WebSocket events, a fake @connections management API, the pitches-context items realtime reads)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pitchey.auth.models import Session
from pitchey.core import clock
from pitchey.notifications import emails
from pitchey.realtime import push
from tests.events import lambda_context, load_handler
from tests.unit.accounts import Actor

SENDER = "notifications@pitchey.dev"


def revoke(user: Actor) -> None:
    session = Session.get(user.session_id)
    session.revoked_at = clock.iso()
    session.save()


# --- items of the pitches context's tables that realtime reads ------------------------------------------
def put_pitch(pitch_id: str, creator_id: str, status: str = "published") -> None:
    boto3.client("dynamodb").put_item(
        TableName="PitchesTable",
        Item={"id": {"S": pitch_id}, "creatorId": {"S": creator_id}, "status": {"S": status}},
    )


def follow(follower_id: str, target_user_id: str) -> None:
    boto3.client("dynamodb").put_item(
        TableName="FollowsTable",
        Item={
            "followerId": {"S": follower_id},
            "targetKey": {"S": f"user#{target_user_id}"},
            "followedAt": {"S": clock.iso_precise()},
        },
    )


def nda_between(requester_id: str, creator_id: str, status: str = "signed") -> None:
    """An NDA item with the keys presence reads (the NDA context's byCreatorStatus/byRequesterStatus)."""
    boto3.client("dynamodb").put_item(
        TableName="NdasTable",
        Item={
            "id": {"S": uuid.uuid4().hex},
            "creatorId": {"S": creator_id},
            "requesterId": {"S": requester_id},
            "status": {"S": status},
            "creatorStatus": {"S": f"{creator_id}#{status}"},
            "requesterStatus": {"S": f"{requester_id}#{status}"},
        },
    )


# --- @connections --------------------------------------------------------------------------------------
@dataclass
class FakeManagementApi:
    """Stands in for boto3's apigatewaymanagementapi client (moto's never answers Gone or fails)."""

    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        if ConnectionId in self.gone:
            raise ClientError({"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection")
        if ConnectionId in self.failing:
            raise ClientError(
                {"Error": {"Code": "LimitExceededException", "Message": "slow down"}}, "PostToConnection"
            )
        self.posts.setdefault(ConnectionId, []).append(json.loads(Data))
        return {}

    def delete_connection(self, ConnectionId: str) -> dict[str, Any]:
        self.deleted.append(ConnectionId)
        return {}

    def frames(self, connection_id: str, frame_type: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.posts.get(connection_id, []) if frame_type in (None, f["type"])]


def install_fakes(monkeypatch: Any) -> FakeManagementApi:
    """Fresh lazily-created clients for this test's moto, and the fake management API."""
    fake = FakeManagementApi()
    monkeypatch.setattr(push, "_management", fake)
    monkeypatch.setattr(emails, "_ses_client", None)
    return fake


# --- events ----------------------------------------------------------------------------------------------
def ws_event(
    route_key: str, connection_id: str, *, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "connectionId": connection_id,
            "requestId": uuid.uuid4().hex,
            "domainName": "ws.example.test",
            "stage": "dev",
        },
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def open_ws(user: Actor, connection_id: str) -> str:
    """$connect with the user's token (as the web app does); the connection id back."""
    global _connect
    if _connect is None:
        _connect = load_handler("realtime/connect")
    answer = ws_call(_connect, ws_event("$connect", connection_id, query={"token": user.token}))
    assert answer["status"] == 200, answer
    return connection_id


_connect: Any = None


def ws_call(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Calls a WebSocket handler; returns {"status": .., "frame": <reply frame or None>}."""
    result = handler(event, lambda_context())
    body = result.get("body")
    return {"status": result["statusCode"], "frame": json.loads(body) if body else None}


_sequence = iter(range(10**6, 10**9))


def stream_record(item: Any, event_name: str = "INSERT", *, keys: dict[str, Any] | None = None) -> dict:
    """A DynamoDB Streams record for a PynamoDB item, as Lambda receives it."""
    image = item.serialize()
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": keys or {},
            "NewImage": image,
            "SequenceNumber": str(next(_sequence)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def verify_sender() -> None:
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)


def sent_emails() -> list[Any]:
    """Messages moto's SES accepted in this test."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
