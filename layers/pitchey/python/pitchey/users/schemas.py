"""User request bodies and the two views of a user: private (`user`) and public profile (no email)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from pitchey.core.schemas import InputModel
from pitchey.users.models import user_view as user_view  # lives with the model (no pydantic to render)

FIRST_NAME_MAX = 100
LAST_NAME_MAX = 100
COMPANY_NAME_MAX = 200
BIO_MAX = 2000
AVATAR_URL_MAX = 2048

FirstName = Annotated[str | None, Field(default=None, max_length=FIRST_NAME_MAX)]
LastName = Annotated[str | None, Field(default=None, max_length=LAST_NAME_MAX)]
CompanyName = Annotated[str | None, Field(default=None, max_length=COMPANY_NAME_MAX)]
Bio = Annotated[str | None, Field(default=None, max_length=BIO_MAX)]


class UpdateProfile(InputModel):
    """PUT /api/users/me: only these fields; anything else (email, userType, id...) is a 422.
    A field sent as null or "" is cleared; a field not sent is left as it is."""

    first_name: FirstName
    last_name: LastName
    company_name: CompanyName
    bio: Bio
    avatar_url: Annotated[str | None, Field(default=None, max_length=AVATAR_URL_MAX)]

    @field_validator("avatar_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not _is_http_url(value):
            raise PydanticCustomError("url", "avatarUrl must be an http(s) URL")
        return value


def _is_http_url(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
