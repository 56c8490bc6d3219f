"""NDA templates (#21) through the local runtime: CRUD next to `/api/ndas/{id}`, the preview PDF from S3, a
pitch's default template in the approved document, and the pitch conversation the signature opens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.accounts import Account, parties, register
from tests.integration.test_ndas_flow import (
    error,
    execution_status,
    nda_action,
    nda_request,
    ok,
    pdf_text,
    published_pitch,
    wait_for,
)

pytestmark = pytest.mark.integration

STANDARD_IDS = ["std-confidentiality", "std-entertainment", "std-film-investment"]
BODY = """# Screeners
Screeners of {{project}} stay with {{receivingParty}} and are never copied.

# Festival Embargo
{{receivingParty}} says nothing about {{project}} before its premiere."""


@pytest.fixture(scope="module")
def people(runtime: Any) -> dict[str, Account]:
    return parties(runtime)


def templates(runtime: Any, who: Account, method: str, suffix: str = "", **kwargs: Any) -> httpx.Response:
    return runtime.client.request(method, f"/api/ndas/templates{suffix}", headers=who.headers, **kwargs)


def new_template(runtime: Any, who: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": "Festival screeners", "body": BODY, **fields}
    return ok(templates(runtime, who, "POST", json=body), 201)


def test_crud_next_to_the_nda_routes(runtime, people):
    creator, investor = people["creator"], people["investor"]
    other = register(runtime, "creator")
    # /api/ndas/templates is its own route, not GET /api/ndas/{id} with id "templates".
    assert [t["id"] for t in ok(templates(runtime, creator, "GET"))][:3] == STANDARD_IDS
    template = new_template(runtime, creator, description="For festival screeners")
    assert template["standard"] is False and template["ownerId"] == creator.id
    listed = ok(templates(runtime, creator, "GET"))
    assert [t["id"] for t in listed] == [*STANDARD_IDS, template["id"]]
    assert ok(templates(runtime, creator, "GET", f"/{template['id']}")) == template

    updated = ok(templates(runtime, creator, "PUT", f"/{template['id']}", json={"name": "Screeners 2027"}))
    assert updated["name"] == "Screeners 2027" and updated["body"] == BODY
    error(
        templates(runtime, creator, "PUT", f"/{template['id']}", json={"body": "{{fee}}"}),
        422,
        "VALIDATION_ERROR",
    )

    # Someone else's template does not exist for them; standard ones are read-only; investors are refused.
    for method in ("GET", "DELETE"):
        error(templates(runtime, other, method, f"/{template['id']}"), 404, "NOT_FOUND")
    error(templates(runtime, other, "PUT", f"/{template['id']}", json={"name": "x"}), 404, "NOT_FOUND")
    assert ok(templates(runtime, other, "GET", "/std-confidentiality"))["standard"] is True
    error(
        templates(runtime, other, "PUT", "/std-confidentiality", json={"name": "x"}),
        403,
        "TEMPLATE_READ_ONLY",
    )
    error(templates(runtime, other, "DELETE", "/std-confidentiality"), 403, "TEMPLATE_READ_ONLY")
    error(templates(runtime, investor, "GET"), 403, "FORBIDDEN")

    deleted = ok(templates(runtime, creator, "DELETE", f"/{template['id']}"))
    assert deleted == {"id": template["id"], "deleted": True}
    error(templates(runtime, creator, "GET", f"/{template['id']}"), 404, "NOT_FOUND")


def test_preview_is_a_downloadable_pdf(runtime, people):
    creator = people["creator"]
    template = new_template(runtime, creator)
    link = ok(templates(runtime, creator, "GET", f"/{template['id']}/preview"))
    assert set(link) == {"downloadUrl", "expiresAt"}
    answer = httpx.get(link["downloadUrl"], timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
    text = pdf_text(link["downloadUrl"])
    for expected in ("Template preview", "Festival screeners", 'Screeners of "[Project title]"'):
        assert expected in text, expected
    standard = ok(templates(runtime, register(runtime, "creator"), "GET", "/std-film-investment/preview"))
    assert "No Offer and No Reliance" in pdf_text(standard["downloadUrl"])
    error(
        templates(runtime, register(runtime, "creator"), "GET", f"/{template['id']}/preview"),
        404,
        "NOT_FOUND",
    )


def test_the_default_template_writes_the_nda_and_signing_opens_the_conversation(runtime, people):
    creator, investor = people["creator"], people["investor"]
    template = new_template(runtime, creator, name="House screeners NDA")
    foreign = new_template(runtime, register(runtime, "creator"))
    pitch = published_pitch(runtime, creator, ndaTemplateId=template["id"])
    assert pitch["ndaTemplateId"] == template["id"]
    path = f"/api/pitches/{pitch['id']}"
    error(
        runtime.client.put(path, json={"ndaTemplateId": foreign["id"]}, headers=creator.headers),
        422,
        "VALIDATION_ERROR",
    )
    assert ok(runtime.client.get(path, headers=investor.headers))["ndaTemplateId"] == template["id"]
    error(templates(runtime, creator, "DELETE", f"/{template['id']}"), 409, "TEMPLATE_IN_USE")

    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    link = ok(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=investor.headers))
    text = pdf_text(link["downloadUrl"])
    for expected in (
        "House screeners NDA",
        "Festival Embargo",
        f'Screeners of "{pitch["title"]}" stay with Marcus Whitfield (Harbour Capital)',
    ):
        assert expected in text, expected
    assert "Obligations of the Receiving Party" not in text  # not the basic text

    ok(nda_action(runtime, investor, nda["id"], "sign", {"signerName": "Marcus Whitfield", "accept": True}))
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED", timeout=60)
    for who in (creator, investor):
        listed = ok(runtime.client.get("/api/messages/conversations", headers=who.headers))
        [conversation] = [c for c in listed if c["pitchId"] == pitch["id"]]
        assert conversation["type"] == "pitch" and conversation["unreadCount"] == 1
        assert {p["userId"] for p in conversation["participants"]} == {creator.id, investor.id}
        assert conversation["lastMessage"]["system"] is True
        messages = ok(
            runtime.client.get(
                f"/api/messages/conversations/{conversation['id']}/messages", headers=who.headers
            )
        )
        assert [(m["seq"], m["senderId"], m["system"]) for m in messages] == [(1, "system", True)]
        assert messages[0]["body"] == f'NDA signed: you can now discuss "{pitch["title"]}" here.'
    # The parties carry on there.
    reply = ok(
        runtime.client.post(
            "/api/messages/send",
            json={"conversationId": conversation["id"], "body": "Thanks, let's talk."},
            headers=investor.headers,
        ),
        201,
    )
    assert reply["seq"] == 2 and reply["system"] is False
