"""NDA templates (issue #21): each creator's own templates plus the three standard ones.

- A creator's templates live in NdaTemplatesTable under their own id (`ownerId` + `id`): every read and
  write uses the caller's id as the hash key, so another creator's template is simply not found (404).
- The standard templates are code (standard_templates.py): readable by every creator, never changed
  (PUT/DELETE → 403 `TEMPLATE_READ_ONLY`: they are visible to all, so refusing is no leak).
- An edit is one UpdateItem of the fields sent (no read-modify-write, so concurrent edits of different
  fields are all kept); `version` moves on with each.
- A template a pitch names as its default (`ndaTemplateId`) cannot be deleted (409 `TEMPLATE_IN_USE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.ndas.models import CONDITIONAL_FAILED, NdaTemplate
from pitchey.ndas.standard_templates import BY_ID as STANDARD_BY_ID
from pitchey.ndas.standard_templates import REVISED_AT, STANDARD, StandardTemplate
from pitchey.ndas.template_schemas import CreateTemplate, UpdateTemplate
from pitchey.ndas.templated import PLACEHOLDERS, sections_of, unknown_placeholders

MAX_ID_LENGTH = 64
READ_ONLY = "Standard templates cannot be changed; create your own template from its text"


@dataclass(frozen=True)
class TemplateText:
    """What a document needs of a template, standard or own."""

    id: str
    name: str
    body: str


# --- rendering -------------------------------------------------------------------------------------------
def _seconds(timestamp: str) -> str:
    return clock.iso(clock.from_iso(timestamp))


def own_json(item: NdaTemplate) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "body": item.body,
        "standard": False,
        "ownerId": item.owner_id,
        "createdAt": _seconds(item.created_at),
        "updatedAt": _seconds(item.updated_at),
    }


def standard_json(template: StandardTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "body": template.body,
        "standard": True,
        "ownerId": None,
        "createdAt": REVISED_AT,
        "updatedAt": REVISED_AT,
    }


# --- loading ---------------------------------------------------------------------------------------------
def _find_own(owner_id: str, template_id: str) -> NdaTemplate | None:
    if not 0 < len(template_id) <= MAX_ID_LENGTH:
        return None
    try:
        return NdaTemplate.get(owner_id, template_id, consistent_read=True)
    except NdaTemplate.DoesNotExist:
        return None


def _own(owner_id: str, template_id: str) -> NdaTemplate:
    if template_id in STANDARD_BY_ID:
        raise Forbidden(READ_ONLY, code="TEMPLATE_READ_ONLY")
    found = _find_own(owner_id, template_id)
    if found is None:
        raise NotFound("NDA template not found")
    return found


def text_of(owner_id: str, template_id: str) -> TemplateText | None:
    """A standard template or one of `owner_id`'s own, as a document uses it; None if there is none."""
    standard = STANDARD_BY_ID.get(template_id)
    if standard is not None:
        return TemplateText(standard.id, standard.name, standard.body)
    own = _find_own(owner_id, template_id)
    return TemplateText(own.id, own.name, own.body) if own else None


def readable(caller: Caller, template_id: str) -> TemplateText:
    found = text_of(caller.id, template_id)
    if found is None:
        raise NotFound("NDA template not found")
    return found


# --- rules -----------------------------------------------------------------------------------------------
def _check_body(body: str) -> None:
    unknown = unknown_placeholders(body)
    if unknown:
        allowed = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        names = ", ".join("{{" + name + "}}" for name in unknown)
        raise ValidationFailed.field("body", f"Unknown placeholder {names}; the placeholders are {allowed}")
    if not sections_of(body, {}):
        raise ValidationFailed.field("body", "The template has headings but no text")


# --- API -------------------------------------------------------------------------------------------------
def list_templates(caller: Caller, page: PageRequest) -> Page[dict[str, Any]]:
    """The standard templates lead the first page, then the caller's own, newest first (`limit` counts
    the caller's own templates only)."""
    own = query_page(
        NdaTemplate,
        lambda **paging: NdaTemplate.query(
            caller.id, scan_index_forward=False, consistent_read=True, **paging
        ),
        ("ownerId", "id"),
        page=page,
        scope=f"nda-templates:{caller.id}",
    ).map(own_json)
    if page.cursor is None:
        own.items = [*(standard_json(t) for t in STANDARD), *own.items]
    return own


def get(caller: Caller, template_id: str) -> dict[str, Any]:
    standard = STANDARD_BY_ID.get(template_id)
    if standard is not None:
        return standard_json(standard)
    found = _find_own(caller.id, template_id)
    if found is None:
        raise NotFound("NDA template not found")
    return own_json(found)


def create(caller: Caller, body: CreateTemplate) -> dict[str, Any]:
    _check_body(body.body)
    now = clock.iso_precise()
    item = NdaTemplate(
        caller.id,
        new_id(),
        name=body.name,
        description=body.description or None,
        body=body.body,
        created_at=now,
        updated_at=now,
        version=1,
    )
    item.save(condition=NdaTemplate.id.does_not_exist())
    _audit("nda_template.create", caller, item)
    return own_json(item)


def update(caller: Caller, template_id: str, body: UpdateTemplate) -> dict[str, Any]:
    sent = body.model_fields_set
    if not sent:
        raise ValidationFailed("Send at least one of name, description, body")
    nulls = [f for f in ("name", "body") if f in sent and getattr(body, f) is None]
    if nulls:
        raise ValidationFailed(
            "Request validation failed", details=[{"field": f, "message": "May not be null"} for f in nulls]
        )
    item = _own(caller.id, template_id)
    actions: list[Any] = [NdaTemplate.updated_at.set(clock.iso_precise()), NdaTemplate.version.add(1)]
    if body.name is not None:
        actions.append(NdaTemplate.name.set(body.name))
    if body.body is not None:
        _check_body(body.body)
        actions.append(NdaTemplate.body.set(body.body))
    if "description" in sent:
        description = body.description or None
        actions.append(
            NdaTemplate.description.set(description) if description else NdaTemplate.description.remove()
        )
    try:
        item.update(actions=actions, condition=NdaTemplate.id.exists())
    except UpdateError as error:
        if error.cause_response_code == CONDITIONAL_FAILED:  # deleted meanwhile
            raise NotFound("NDA template not found") from None
        raise
    _audit("nda_template.update", caller, item, fields=sorted(sent))
    return own_json(item)


def delete(caller: Caller, template_id: str) -> dict[str, Any]:
    item = _own(caller.id, template_id)
    if _named_by_a_pitch(caller.id, template_id):
        raise Conflict(
            "A pitch uses this template as its default NDA; choose another template for it first",
            code="TEMPLATE_IN_USE",
        )
    try:
        item.delete(condition=NdaTemplate.id.exists())
    except DeleteError as error:
        if error.cause_response_code == CONDITIONAL_FAILED:  # a parallel delete won
            raise NotFound("NDA template not found") from None
        raise
    _audit("nda_template.delete", caller, item)
    return {"id": template_id, "deleted": True}


def _named_by_a_pitch(owner_id: str, template_id: str) -> bool:
    """Whether one of the owner's pitches (not archived) names the template. A pitch that names it at the
    very moment of the delete keeps a dangling id; its NDAs then use the pitch's ndaType text."""
    from pitchey.pitches.models import Pitch

    found = Pitch.by_creator.query(
        owner_id,
        filter_condition=(Pitch.nda_template_id == template_id) & (Pitch.status != "archived"),
        attributes_to_get=["id"],
    )
    return any(True for _ in found)


def _audit(action: str, caller: Caller, item: NdaTemplate, **details: Any) -> None:
    audit.record(
        action,
        actor_id=caller.id,
        target_type="nda_template",
        target_id=item.id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details={"name": item.name, **details},
    )
