"""The Users table. Email uniqueness is a claim in UniqueKeysTable written in the same transaction."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

USER_TYPES = ("creator", "investor", "production", "viewer")
PORTALS = ("creator", "investor", "production")


class User(Model):
    class Meta(TableMeta):
        table_name = table_name("USERS_TABLE", "UsersTable")

    id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()  # as registered; uniqueness is on the lowercased form
    username = UnicodeAttribute()
    user_type = UnicodeAttribute(attr_name="userType")
    password_hash = UnicodeAttribute(attr_name="passwordHash")
    first_name = UnicodeAttribute(null=True, attr_name="firstName")
    last_name = UnicodeAttribute(null=True, attr_name="lastName")
    company_name = UnicodeAttribute(null=True, attr_name="companyName")
    bio = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True, attr_name="avatarUrl")
    subscription_tier = UnicodeAttribute(default="free", attr_name="subscriptionTier")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    last_login_at = UnicodeAttribute(null=True, attr_name="lastLoginAt")
