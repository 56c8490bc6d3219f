"""NDA templates (#21): CRUD rules through the handlers, the standard templates, the preview PDF, a pitch's
default template in the approved document, and the conversation that signing opens."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import boto3
import pytest
from pypdf import PdfReader

from pitchey.auth.context import AuthUser
from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.core.db import PageRequest
from pitchey.messages import service as messages
from pitchey.messages.models import ConversationMember, SystemMessageClaim, system_message_key
from pitchey.messages.rules import conversation_id_for
from pitchey.messages.schemas import SendMessage
from pitchey.ndas import documents
from pitchey.ndas.models import Nda, NdaTemplate
from pitchey.ndas.standard_templates import STANDARD
from pitchey.ndas.templated import sections_of, unknown_placeholders
from pitchey.pitches.models import Pitch
from tests.events import Routes, load_handler
from tests.unit.accounts import make_user
from tests.unit.iam_support import grants
from tests.unit.pitches_support import create_pitch, update_pitch
from tests.unit.test_ndas_support import api, body_of

pytest_plugins = ("tests.unit.test_ndas_support",)  # fixtures: cast, make_pitch, state_machine, sent

TEMPLATE_FIELDS = {"id", "name", "description", "body", "standard", "ownerId", "createdAt", "updatedAt"}
STANDARD_IDS = ["std-confidentiality", "std-entertainment", "std-film-investment"]
PREVIEW = Routes("ndas/documents", {"template_preview": ("GET", "/api/ndas/templates/{id}/preview")})
WORKFLOW = load_handler("ndas/workflow")
GENERATE = load_handler("ndas/documents/generate")

BODY = """Text before any heading.

# Screeners
Screeners of {{project}} stay with {{receivingParty}}
and are never copied.

## Festival Embargo ##
{{receivingParty}} says nothing about {{project}} before its premiere; {{disclosingParty}} decides
when, from {{effectiveDate}} on."""


def create(actor, **fields):
    body = {"name": "Festival screeners", "body": BODY, **fields}
    return api("template_create", actor, body=body)


def own(actor, **fields):
    answer = create(actor, **fields)
    assert answer.status == 201, answer.body
    return answer.data


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


# --- the template syntax (pure) ----------------------------------------------------------------------------
def test_sections_placeholders_and_paragraphs():
    values = {"project": '"Tide"', "receivingParty": "Ivy", "disclosingParty": "Zoë"}
    values["effectiveDate"] = "1 May"
    sections = sections_of(BODY, values)
    assert [s.heading for s in sections] == ["Terms", "Screeners", "Festival Embargo"]
    assert sections[1].paragraphs == ('Screeners of "Tide" stay with Ivy and are never copied.',)
    assert sections[2].paragraphs[0].endswith("Zoë decides when, from 1 May on.")
    assert sections_of("# Only\n# Headings\n", values) == ()
    assert unknown_placeholders("{{project}} {{ fee }} {{x}} {{fee}}") == ["fee", "x"]


def test_every_standard_template_is_well_formed():
    assert [t.id for t in STANDARD] == STANDARD_IDS
    for template in STANDARD:
        assert unknown_placeholders(template.body) == []
        sections = sections_of(template.body, {})
        assert len(sections) >= 6 and all(s.paragraphs for s in sections)
        assert len(template.body) <= 20_000 and len(template.name) <= 120


# --- list, create, get --------------------------------------------------------------------------------------
def test_a_creator_lists_the_standard_templates_then_their_own_newest_first(cast):
    first, second = own(cast.creator, name="First"), own(cast.creator, name="Second")
    own(make_user("creator"), name="Someone else's")
    listed = body_of(api("templates_list", cast.creator))
    assert [t["id"] for t in listed] == [*STANDARD_IDS, second["id"], first["id"]]
    assert all(set(t) == TEMPLATE_FIELDS for t in listed)
    assert [t["standard"] for t in listed] == [True, True, True, False, False]
    assert {t["ownerId"] for t in listed[:3]} == {None} and listed[3]["ownerId"] == cast.creator.id
    # Paging counts the creator's own templates; the standard ones lead only the first page.
    page = api("templates_list", cast.creator, query={"limit": "1"})
    assert [t["id"] for t in page.data] == [*STANDARD_IDS, second["id"]]
    cursor = page.body["metadata"]["nextCursor"]
    rest = api("templates_list", cast.creator, query={"limit": "1", "cursor": cursor})
    assert [t["id"] for t in rest.data] == [first["id"]] and rest.body["metadata"]["nextCursor"] is None


@pytest.mark.parametrize("role", ["investor", "production"])
def test_templates_are_for_creators_only(cast, role):
    actor = getattr(cast, role)
    assert api("templates_list", actor).status == 403
    assert create(actor).status == 403
    assert api("template_get", actor, id="std-confidentiality").status == 403


def test_create_stores_the_template_of_the_caller(cast):
    template = own(cast.creator, description="For festival screeners")
    assert set(template) == TEMPLATE_FIELDS
    assert template["standard"] is False and template["ownerId"] == cast.creator.id
    assert template["name"] == "Festival screeners" and template["body"] == BODY
    assert template["description"] == "For festival screeners"
    assert template["createdAt"].endswith("Z") and len(template["createdAt"]) == 20
    stored = NdaTemplate.get(cast.creator.id, template["id"])
    assert stored.version == 1 and stored.body == BODY
    assert "nda_template.create" in [e.action for e in AuditEntry.query(cast.creator.id)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "Pay {{fee}} to {{disclosingParty}}."}, "body"),
        ({"body": "# Heading only"}, "body"),
        ({"description": "d" * 1001}, "description"),
        ({"standard": True}, "standard"),
        ({"ownerId": "someone"}, "ownerId"),
    ],
)
def test_create_refuses_bad_input_with_422(cast, fields, field):
    answer = create(cast.creator, **fields)
    assert answer.status == 422, answer.body
    assert field in {d["field"] for d in answer.body["error"]["details"]}


def test_limits_are_inclusive(cast):
    template = own(cast.creator, name="n" * 120, body="b" * 20_000)
    assert len(template["name"]) == 120 and len(template["body"]) == 20_000


def test_get_own_and_standard_but_nobody_elses(cast):
    template = own(cast.creator)
    assert body_of(api("template_get", cast.creator, id=template["id"])) == template
    standard = body_of(api("template_get", make_user("creator"), id="std-film-investment"))
    assert standard["standard"] is True and standard["name"] == "Film investment"
    assert standard["ownerId"] is None and "{{receivingParty}}" in standard["body"]
    for template_id in (template["id"], "nope", "x" * 300):
        answer = api("template_get", make_user("creator"), id=template_id)
        assert answer.status == 404 and answer.code == "NOT_FOUND"


# --- update -------------------------------------------------------------------------------------------------
def test_update_changes_only_the_fields_sent(cast):
    template = own(cast.creator, description="old")
    updated = body_of(api("template_update", cast.creator, id=template["id"], body={"name": "Renamed"}))
    assert updated["name"] == "Renamed" and updated["body"] == BODY and updated["description"] == "old"
    cleared = body_of(api("template_update", cast.creator, id=template["id"], body={"description": None}))
    assert cleared["description"] is None and cleared["name"] == "Renamed"
    assert NdaTemplate.get(cast.creator.id, template["id"]).version == 3
    assert body_of(api("template_get", cast.creator, id=template["id"])) == cleared


@pytest.mark.parametrize(
    "body", [{}, {"name": None}, {"body": None}, {"body": "{{nope}}"}, {"name": ""}, {"id": "x"}]
)
def test_update_refuses_bad_input_with_422(cast, body):
    template = own(cast.creator)
    answer = api("template_update", cast.creator, id=template["id"], body=body)
    assert answer.status == 422, answer.body
    assert body_of(api("template_get", cast.creator, id=template["id"])) == template


def test_standard_templates_are_read_only_and_others_templates_are_absent(cast):
    for route, body in (("template_update", {"name": "Mine now"}), ("template_delete", None)):
        answer = api(route, cast.creator, id="std-confidentiality", **({"body": body} if body else {}))
        assert answer.status == 403 and answer.code == "TEMPLATE_READ_ONLY"
    template = own(cast.creator)
    other = make_user("creator")
    assert api("template_update", other, id=template["id"], body={"name": "pwned"}).status == 404
    assert api("template_delete", other, id=template["id"]).status == 404
    assert body_of(api("template_get", cast.creator, id=template["id"])) == template


def test_parallel_edits_of_different_fields_are_all_kept(cast):
    template = own(cast.creator)
    edits = [{"name": "Parallel name"}, {"description": "Parallel description"}, {"body": "# New\nNew text."}]
    barrier = threading.Barrier(len(edits))

    def edit(body):
        barrier.wait()
        return api("template_update", cast.creator, id=template["id"], body=body).status

    with ThreadPoolExecutor(len(edits)) as pool:
        assert list(pool.map(edit, edits)) == [200, 200, 200]
    final = body_of(api("template_get", cast.creator, id=template["id"]))
    assert (final["name"], final["description"], final["body"]) == (
        "Parallel name",
        "Parallel description",
        "# New\nNew text.",
    )
    assert NdaTemplate.get(cast.creator.id, template["id"]).version == 4


# --- delete -------------------------------------------------------------------------------------------------
def test_delete_removes_the_template(cast):
    template = own(cast.creator)
    assert body_of(api("template_delete", cast.creator, id=template["id"])) == {
        "id": template["id"],
        "deleted": True,
    }
    assert api("template_get", cast.creator, id=template["id"]).status == 404
    assert api("template_delete", cast.creator, id=template["id"]).status == 404


def test_a_template_a_pitch_uses_cannot_be_deleted_until_the_pitch_lets_go(cast):
    template = own(cast.creator)
    pitch = create_pitch(cast.creator, ndaTemplateId=template["id"])
    answer = api("template_delete", cast.creator, id=template["id"])
    assert answer.status == 409 and answer.code == "TEMPLATE_IN_USE"
    assert update_pitch(cast.creator, pitch["id"], ndaTemplateId="std-entertainment").status == 200
    assert body_of(api("template_delete", cast.creator, id=template["id"]))["deleted"] is True


# --- the pitch's default template ---------------------------------------------------------------------------
def test_a_pitch_takes_a_standard_template_or_the_creators_own(cast):
    template = own(cast.creator)
    pitch = create_pitch(cast.creator, requiresNDA=True, ndaTemplateId="std-confidentiality")
    assert pitch["ndaTemplateId"] == "std-confidentiality"
    answer = update_pitch(cast.creator, pitch["id"], ndaTemplateId=template["id"])
    assert answer.status == 200 and answer.data["ndaTemplateId"] == template["id"]
    assert Pitch.get(pitch["id"]).nda_template_id == template["id"]
    cleared = update_pitch(cast.creator, pitch["id"], ndaTemplateId=None)
    assert cleared.status == 200 and cleared.data["ndaTemplateId"] is None
    assert create_pitch(cast.creator)["ndaTemplateId"] is None


def test_a_pitch_refuses_another_creators_or_an_unknown_template(cast):
    foreign = own(make_user("creator"))
    pitch = create_pitch(cast.creator)
    for template_id in (foreign["id"], "std-nope", "x" * 65):
        answer = update_pitch(cast.creator, pitch["id"], ndaTemplateId=template_id)
        assert answer.status == 422, answer.body
        assert answer.body["error"]["details"][0]["field"] == "ndaTemplateId"
    from tests.unit.pitches_support import BASE_PITCH, hit

    body = {**BASE_PITCH, "format": "feature", "ndaTemplateId": foreign["id"]}
    assert hit("pitches/create", "POST", "/api/pitches", cast.creator, body=body).status == 422
    assert Pitch.get(pitch["id"]).nda_template_id is None


def approve_and_render(cast, pitch_id) -> tuple[str, str]:
    nda_id = body_of(api("request", cast.investor, body={"pitchId": pitch_id}))["id"]
    body_of(api("approve", cast.creator, id=nda_id))
    GENERATE({"step": "generate_document", "ndaId": nda_id, "version": "approved"}, None)
    key = Nda.get(nda_id).document_key
    data = boto3.client("s3").get_object(Bucket=documents.bucket(), Key=key)["Body"].read()
    return nda_id, pdf_text(data)


def test_the_approved_document_uses_the_pitchs_template(cast, make_pitch, state_machine):
    template = own(cast.creator, name="Festival screeners")
    pitch_id = make_pitch(cast.creator, nda_type="basic")
    Pitch(pitch_id).update(actions=[Pitch.nda_template_id.set(template["id"])])
    _, text = approve_and_render(cast, pitch_id)
    for expected in (
        "Festival screeners",  # the template's name labels the document
        "Screeners",
        "Festival Embargo",
        'Screeners of "The Last Lighthouse Keeper" stay with Marcus Whitfield (Harbour Capital)',
        "Zoë Łukasiewicz (Northlight Pictures) decides when",
        "Purpose",  # always: names the project and Pitchey
        "Electronic Execution and Records",  # always: makes the platform's signature binding
    ):
        assert expected in text, expected
    assert "{{" not in text and "Obligations of the Receiving Party" not in text  # not the basic text


def test_a_standard_default_and_a_deleted_one(cast, make_pitch, state_machine):
    pitch_id = make_pitch(cast.creator, nda_type="basic")
    Pitch(pitch_id).update(actions=[Pitch.nda_template_id.set("std-film-investment")])
    _, text = approve_and_render(cast, pitch_id)
    assert "Film investment" in text and "No Offer and No Reliance" in text
    # A template deleted after a pitch named it (a race with the in-use check): the ndaType text.
    other = make_pitch(cast.creator, nda_type="enhanced", title="Second Pitch")
    Pitch(other).update(actions=[Pitch.nda_template_id.set("0" * 32)])
    _, fallback = approve_and_render(cast, other)
    assert "Non-Circumvention" in fallback and "five (5) years" in fallback


def test_no_template_keeps_todays_text(cast, make_pitch, state_machine):
    _, text = approve_and_render(cast, make_pitch(cast.creator, nda_type="basic"))
    assert "Obligations of the Receiving Party" in text and "Standard terms" in text


# --- preview ------------------------------------------------------------------------------------------------
def test_preview_renders_a_pdf_with_placeholder_parties(cast):
    template = own(cast.creator)
    answer = PREVIEW.call("template_preview", cast.creator, id=template["id"])
    assert answer.status == 200, answer.body
    assert set(answer.data) == {"downloadUrl", "expiresAt"}
    path = urlparse(answer.data["downloadUrl"]).path  # /<key> or /<bucket>/<key>
    key = path.removeprefix(f"/{documents.bucket()}").removeprefix("/")
    assert key.startswith("nda-preview/") and key.endswith("/preview.pdf")
    assert template["id"] not in key and cast.creator.id not in key
    s3 = boto3.client("s3")
    head = s3.head_object(Bucket=documents.bucket(), Key=key)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
    data = s3.get_object(Bucket=documents.bucket(), Key=key)["Body"].read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in ("Template preview", "Festival screeners", "[Project title]", "[Requester name]"):
        assert expected in text, expected
    assert "stay with [Requester name] ([Requester company])" in text


def test_preview_of_a_standard_template_and_of_nobody_elses(cast):
    answer = PREVIEW.call("template_preview", make_user("creator"), id="std-entertainment")
    assert answer.status == 200
    template = own(cast.creator)
    assert PREVIEW.call("template_preview", make_user("creator"), id=template["id"]).status == 404
    assert PREVIEW.call("template_preview", cast.investor, id="std-entertainment").status == 403


# --- signing opens the pitch conversation -------------------------------------------------------------------
def signed_nda(cast, make_pitch) -> tuple[Nda, str]:
    pitch_id = make_pitch(cast.creator)
    nda_id = body_of(api("request", cast.investor, body={"pitchId": pitch_id}))["id"]
    body_of(api("approve", cast.creator, id=nda_id))
    body_of(api("sign", cast.investor, id=nda_id, body={"signerName": "Marcus Whitfield", "accept": True}))
    return Nda.get(nda_id), pitch_id


def open_conversation(nda_id: str):
    return WORKFLOW({"step": "open_conversation", "ndaId": nda_id}, None)


def conversations_of(user_id: str):
    return messages.list_conversations(user_id, PageRequest(limit=20)).items


def test_signing_opens_the_pitch_conversation_with_one_system_message(cast, make_pitch, state_machine):
    nda, pitch_id = signed_nda(cast, make_pitch)
    first = open_conversation(nda.id)
    assert open_conversation(nda.id) == first  # a retried step posts nothing new
    conversation_id = conversation_id_for(cast.creator.id, cast.investor.id, pitch_id)
    for user in (cast.creator, cast.investor):
        [conversation] = conversations_of(user.id)
        assert conversation["id"] == conversation_id and conversation["type"] == "pitch"
        assert conversation["pitchId"] == pitch_id and conversation["unreadCount"] == 1
        assert {p["userId"] for p in conversation["participants"]} == {cast.creator.id, cast.investor.id}
        [message] = messages.list_messages(user.id, conversation_id, PageRequest(limit=20)).items
        assert message["id"] == first["messageId"] and message["seq"] == 1
        assert message["system"] is True and message["senderId"] == "system"
        assert message["body"] == 'NDA signed: you can now discuss "The Last Lighthouse Keeper" here.'
    claim = SystemMessageClaim.get(system_message_key(f"nda-signed#{nda.id}"))
    assert claim.message_id == first["messageId"]
    # Nobody can edit or delete what Pitchey said.
    from pitchey.core.errors import Forbidden

    with pytest.raises(Forbidden):
        messages.delete(cast.creator.id, first["messageId"])
    # The parties talk on in the same conversation.
    sender = AuthUser(cast.investor.id, "investor", cast.investor.session_id, 0)
    sent = messages.send(sender, SendMessage(conversationId=conversation_id, body="Thanks!"))
    assert sent["seq"] == 2 and sent["system"] is False


def test_an_existing_pitch_conversation_gets_the_message_next(cast, make_pitch, state_machine):
    nda, pitch_id = signed_nda(cast, make_pitch)
    sender = AuthUser(cast.investor.id, "investor", cast.investor.session_id, 0)
    body = SendMessage(recipientId=cast.creator.id, pitchId=pitch_id, body="Before signing")
    earlier = messages.send(sender, body)
    result = open_conversation(nda.id)
    assert result["messageId"] == f"{earlier['conversationId']}-2"
    member = ConversationMember.get(cast.creator.id, earlier["conversationId"])
    assert member.unread_count == 2  # the investor's message and Pitchey's
    assert ConversationMember.get(cast.investor.id, earlier["conversationId"]).unread_count == 1


def test_parallel_runs_of_the_step_post_exactly_once(cast, make_pitch, state_machine):
    nda, pitch_id = signed_nda(cast, make_pitch)
    barrier = threading.Barrier(4)

    def run(_):
        barrier.wait()
        return open_conversation(nda.id)["messageId"]

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(run, range(4)))
    assert len(ids) == 1
    conversation_id = conversation_id_for(cast.creator.id, cast.investor.id, pitch_id)
    listed = messages.list_messages(cast.creator.id, conversation_id, PageRequest(limit=20)).items
    assert [m["seq"] for m in listed] == [1]


def test_the_step_refuses_an_nda_that_is_not_signed(cast, make_pitch, state_machine):
    pitch_id = make_pitch(cast.creator)
    nda_id = body_of(api("request", cast.investor, body={"pitchId": pitch_id}))["id"]
    with pytest.raises(ValueError, match="not signed"):
        open_conversation(nda_id)


# --- privacy: a creator's templates are their data ----------------------------------------------------------
def test_templates_are_exported_and_erased_with_the_account(cast):
    from pitchey.privacy import erasure
    from pitchey.privacy.gather import indexed
    from pitchey.users.models import User

    template = own(cast.creator, name="Mine to take away")
    own(make_user("creator"), name="Someone else's")
    user = User.get(cast.creator.id).attribute_values | {"id": cast.creator.id}
    found = [item for table, _, item in indexed(user, for_export=True) if table == "NdaTemplatesTable"]
    assert [item["id"]["S"] for item in found] == [template["id"]]

    User(cast.creator.id).update(actions=[User.deletion_scheduled_at.set(clock.iso())])  # due now
    assert erasure.erase(cast.creator.id) is True
    assert list(NdaTemplate.query(cast.creator.id)) == []
    assert len(list(NdaTemplate.scan())) == 1  # the other creator's stays


def test_create_with_an_idempotency_key_stores_one_template(cast):
    headers = {"idempotency-key": "template-create-0001"}
    first = api("template_create", cast.creator, body={"name": "Once", "body": "Text."}, headers=headers)
    again = api("template_create", cast.creator, body={"name": "Once", "body": "Text."}, headers=headers)
    assert first.status == again.status == 201 and first.data["id"] == again.data["id"]
    assert len(list(NdaTemplate.query(cast.creator.id))) == 1


# --- permissions: each template function's role allows what its code does ----------------------------------
EXPECTED_POLICIES = {
    "NdaTemplatesListFunction": {("NdaTemplatesTable", "dynamodb:Query")},
    "NdaTemplateCreateFunction": {("NdaTemplatesTable", "dynamodb:PutItem")},
    "NdaTemplateGetFunction": {("NdaTemplatesTable", "dynamodb:GetItem")},
    "NdaTemplateUpdateFunction": {
        ("NdaTemplatesTable", "dynamodb:GetItem"),
        ("NdaTemplatesTable", "dynamodb:UpdateItem"),
    },
    "NdaTemplateDeleteFunction": {
        ("NdaTemplatesTable", "dynamodb:GetItem"),
        ("NdaTemplatesTable", "dynamodb:DeleteItem"),
        ("PitchesTable/index/byCreator", "dynamodb:Query"),
    },
    "NdaTemplatePreviewFunction": {
        ("NdaTemplatesTable", "dynamodb:GetItem"),
        ("NdaDocumentsBucket/nda-preview/*", "s3:PutObject"),
        ("NdaDocumentsBucket/nda-preview/*", "s3:GetObject"),
    },
}


@pytest.mark.parametrize("function", sorted(EXPECTED_POLICIES))
def test_template_functions_may_do_what_their_code_does(function):
    # The role is the NDA context's (template.yaml, "execution roles"), so it may allow more.
    assert EXPECTED_POLICIES[function] <= grants(function)
