"""pydantic v2 bases: camelCase on the wire, unknown fields refused on input (mass assignment)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from pitchey.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


# C0/C1 control characters except tab, newline and carriage return, and lone surrogates (which JSON's
# "\ud800" escapes can produce and no store can encode).
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _has_forbidden_characters(value: Any) -> bool:
    """Any string in `value` (nested lists and dicts, keys included) with a forbidden character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _FORBIDDEN_CHARACTERS.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class InputModel(BaseModel):
    """Request bodies. Extra fields (including server-owned ones) fail validation with 422, and so does a
    field sent under its Python (snake_case) name: only the camelCase alias populates it. No string field
    may carry NUL or other control characters."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        str_strip_whitespace=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if _has_forbidden_characters(value):
            raise PydanticCustomError("control_character", "Must not contain control characters")
        return value


class OutputModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def dump(self, **kwargs: Any) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", **kwargs)


def validation_details(error: ValidationError) -> list[dict[str, str]]:
    details = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "Unknown or read-only field"
        details.append({"field": field, "message": message})
    return details


def parse_input(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Body must be a JSON object", details=[{"field": "body", "message": "Expected an object"}]
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed("Request validation failed", details=validation_details(error)) from None
