"""Request bodies of the NDA template endpoints (issue #21). Ids, owner, `standard` and timestamps are
server-owned: sending them is a 422 (InputModel forbids extra fields)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pitchey.core.schemas import InputModel

Name = Annotated[str, Field(min_length=1, max_length=120)]
Body = Annotated[str, Field(min_length=1, max_length=20_000)]
Description = Annotated[str, Field(max_length=1000)]


class CreateTemplate(InputModel):
    name: Name
    body: Body
    description: Description | None = None


class UpdateTemplate(InputModel):
    """Partial: only the fields sent change; `description: null` clears it (name and body cannot be null)."""

    name: Name | None = None
    body: Body | None = None
    description: Description | None = None
