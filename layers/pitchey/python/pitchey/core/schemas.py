"""pydantic v2 bases: camelCase on the wire, unknown fields refused on input (mass assignment)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from pitchey.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


class InputModel(BaseModel):
    """Request bodies. Extra fields (including server-owned ones) fail validation with 422."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


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
