"""Auth request bodies. Passwords are never whitespace-stripped: every character is part of the secret."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from pitchey.core.schemas import InputModel
from pitchey.users.models import normalize_email
from pitchey.users.schemas import Bio, CompanyName, FirstName, LastName

EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 8, 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{3,30}$")

Password = Annotated[str, StringConstraints(strip_whitespace=False)]


def _strong_enough(value: str) -> str:
    """Every new password (register, reset, change): at least one letter and one digit."""
    if not any(ch.isalpha() for ch in value) or not any(ch.isdigit() for ch in value):
        raise PydanticCustomError("password", "Password must contain at least one letter and one digit")
    return value


class RegisterBody(InputModel):
    email: str = Field(max_length=EMAIL_MAX)
    password: Password = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    username: str
    first_name: FirstName
    last_name: LastName
    company_name: CompanyName
    bio: Bio

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        """Valid as compared (normalised): `a\uff20b@x.com` is `a@b@x.com` once normalised, so refused.
        Stored as sent, but in NFKC."""
        if not _EMAIL.match(normalize_email(value)):
            raise PydanticCustomError("email", "Must be a valid email address")
        return unicodedata.normalize("NFKC", value)

    _strong_enough = field_validator("password")(_strong_enough)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not _USERNAME.match(value):
            raise PydanticCustomError(
                "username", "Username must be 3-30 characters: letters, digits and underscore"
            )
        return value


class LoginBody(InputModel):
    email: str = Field(min_length=1, max_length=EMAIL_MAX)
    password: Password = Field(min_length=1, max_length=1024)


class RefreshBody(InputModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class EmptyBody(InputModel):
    """Parameterless actions (logout, logout-all): an empty body or {}; any field is a 422."""


class TokenBody(InputModel):
    """verify-email: the token from the mailed link."""

    token: str = Field(min_length=1, max_length=256)


class ForgotPasswordBody(InputModel):
    email: str = Field(min_length=1, max_length=EMAIL_MAX)


class ResetPasswordBody(InputModel):
    token: str = Field(min_length=1, max_length=256)
    password: Password = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)

    _strong_enough = field_validator("password")(_strong_enough)


class ChangePasswordBody(InputModel):
    current_password: Password = Field(min_length=1, max_length=1024)
    new_password: Password = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)

    _strong_enough = field_validator("new_password")(_strong_enough)


MfaCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=20)]


class MfaCodeBody(InputModel):
    """mfa/enable, mfa/backup-codes: a current TOTP code."""

    code: MfaCode


class MfaDisableBody(InputModel):
    password: Password = Field(min_length=1, max_length=1024)
    code: MfaCode


class MfaVerifyBody(InputModel):
    challenge_token: str = Field(min_length=1, max_length=256)
    code: MfaCode
