"""Helpers for the messaging unit tests: calls to the messages handlers as a given user."""

from __future__ import annotations

from typing import Any

from tests.events import Answer
from tests.unit.pitches_support import Actor, hit


def send(actor: Actor, **body: Any) -> Answer:
    return hit("messages/send", "POST", "/api/messages/send", actor, body=body)


def send_ok(actor: Actor, **body: Any) -> dict[str, Any]:
    answer = send(actor, **body)
    assert answer.status == 201, answer.body
    return answer.data


def conversations(actor: Actor, **query: str) -> Answer:
    return hit("messages/conversations", "GET", "/api/messages/conversations", actor, query=query or None)


def conversation(actor: Actor, conversation_id: str) -> Answer:
    path = f"/api/messages/conversations/{conversation_id}"
    return hit("messages/conversation", "GET", path, actor, path_params={"id": conversation_id})


def messages(actor: Actor, conversation_id: str, **query: str) -> Answer:
    path = f"/api/messages/conversations/{conversation_id}/messages"
    return hit(
        "messages/messages", "GET", path, actor, path_params={"id": conversation_id}, query=query or None
    )


def read(actor: Actor, conversation_id: str, **body: Any) -> Answer:
    path = f"/api/messages/conversations/{conversation_id}/read"
    return hit("messages/read", "POST", path, actor, body=body, path_params={"id": conversation_id})


def edit(actor: Actor, message_id: str, body: Any) -> Answer:
    path = f"/api/messages/{message_id}"
    return hit("messages/edit", "PUT", path, actor, body={"body": body}, path_params={"id": message_id})


def delete(actor: Actor, message_id: str) -> Answer:
    path = f"/api/messages/{message_id}"
    return hit("messages/delete", "DELETE", path, actor, path_params={"id": message_id})


def block(actor: Actor, user_id: str) -> Answer:
    return hit("messages/block", "POST", f"/api/users/{user_id}/block", actor, path_params={"id": user_id})


def unblock(actor: Actor, user_id: str) -> Answer:
    path = f"/api/users/{user_id}/block"
    return hit("messages/unblock", "DELETE", path, actor, path_params={"id": user_id})


def blocks(actor: Actor, **query: str) -> Answer:
    return hit("messages/blocks", "GET", "/api/users/me/blocks", actor, query=query or None)


def start_attachment(actor: Actor, **body: Any) -> Answer:
    return hit("messages/attachment_upload", "POST", "/api/messages/attachments", actor, body=body)


def attachment_url(actor: Actor, message_id: str, attachment_id: str) -> Answer:
    path = f"/api/messages/{message_id}/attachments/{attachment_id}"
    params = {"id": message_id, "attachmentId": attachment_id}
    return hit("messages/attachment_download", "GET", path, actor, path_params=params)
