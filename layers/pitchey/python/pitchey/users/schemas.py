"""User request bodies and the two views of a user: private (`user`) and public profile (no email)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from pitchey.core.schemas import InputModel
from pitchey.users.models import User

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


def user_view(user: User, *, include_email: bool = True) -> dict[str, Any]:
    """API.md's `user`. Never the password hash; the public profile leaves the email out."""
    view: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "userType": user.user_type,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "companyName": user.company_name,
        "bio": user.bio,
        "avatarUrl": user.avatar_url,
        "subscriptionTier": user.subscription_tier,
        "createdAt": user.created_at,
        "emailVerified": user.email_verified_at is not None,
        "mfaEnabled": bool(user.mfa_enabled),
    }
    if not include_email:  # the public profile: no email, nor how the account is secured
        for private in ("email", "emailVerified", "mfaEnabled"):
            del view[private]
    return view
