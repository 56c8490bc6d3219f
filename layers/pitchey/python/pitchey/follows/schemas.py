"""Request body for following a user or a pitch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pitchey.core.schemas import InputModel
from pitchey.follows.models import TARGET_TYPES

TargetType = Literal[TARGET_TYPES]  # type: ignore[valid-type]


class FollowRequest(InputModel):
    target_type: TargetType
    target_id: Annotated[str, Field(min_length=1, max_length=100)]
