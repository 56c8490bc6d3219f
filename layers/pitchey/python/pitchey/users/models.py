"""The Users table. Email uniqueness is a claim in UniqueKeysTable written in the same transaction."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

USER_TYPES = ("creator", "investor", "production", "viewer")
PORTALS = ("creator", "investor", "production")
STATUSES = ("active", "suspended", "banned")
DIRECTORY = "users"  # the constant partition of the byCreated index: the admin's user list, newest first
DELETION_QUEUE = "due"  # the constant partition of the sparse pendingDeletion index (pitchey.privacy)


class UsersByCreated(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCreated"
        projection = AllProjection()

    directory = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class UsersPendingDeletion(GlobalSecondaryIndex):
    class Meta:
        index_name = "pendingDeletion"
        projection = KeysOnlyProjection()

    deletion_queue = UnicodeAttribute(hash_key=True, attr_name="deletionQueue")
    deletion_scheduled_at = UnicodeAttribute(range_key=True, attr_name="deletionScheduledAt")


class User(Model):
    class Meta(TableMeta):
        table_name = table_name("USERS_TABLE", "UsersTable")

    id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()  # as registered (NFKC); uniqueness is on normalize_email's form
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
    # Account security (pitchey.auth.verification / recovery): absent on accounts from before it existed.
    email_verified_at = UnicodeAttribute(null=True, attr_name="emailVerifiedAt")
    verification_sent_at = NumberAttribute(null=True, attr_name="verificationSentAt")  # epoch: resend limit
    password_changed_at = UnicodeAttribute(null=True, attr_name="passwordChangedAt")  # precise ISO
    mfa_enabled = BooleanAttribute(null=True, attr_name="mfaEnabled")
    mfa_secret = UnicodeAttribute(null=True, attr_name="mfaSecret")  # base32 TOTP key, once enabled
    mfa_pending_secret = UnicodeAttribute(null=True, attr_name="mfaPendingSecret")  # setup, before enable
    mfa_last_step = NumberAttribute(null=True, attr_name="mfaLastStep")  # a TOTP code works once
    mfa_backup_hashes = UnicodeSetAttribute(null=True, attr_name="mfaBackupHashes")  # SHA-256, single use

    # Moderation. Admin is data: set only by another admin's grant or the AdminBootstrapEmail at
    # registration, never from a request body. A missing status is "active".
    status = UnicodeAttribute(null=True)
    is_admin = BooleanAttribute(null=True, attr_name="isAdmin")
    directory = UnicodeAttribute(null=True)
    search_text = UnicodeAttribute(null=True, attr_name="searchText")  # lowercased email + username

    # Privacy: a requested deletion (DELETE /api/users/me) until a login cancels it or erasure runs.
    deletion_scheduled_at = UnicodeAttribute(null=True, attr_name="deletionScheduledAt")
    deletion_queue = UnicodeAttribute(null=True, attr_name="deletionQueue")
    erased_at = UnicodeAttribute(null=True, attr_name="erasedAt")

    by_created = UsersByCreated()
    pending_deletion = UsersPendingDeletion()

    @property
    def account_status(self) -> str:
        return self.status or "active"


def search_text(email: str, username: str) -> str:
    """What the admin's `q` matches (a substring): the normalised email and the casefolded username."""
    return f"{normalize_email(email)} {username.casefold()}"


def email_digest(email: str) -> str:
    """A stable, non-reversible name for an email (SHA-256 of its normalised form): what audit entries of
    failed logins target, so neither the log nor the audit table holds addresses people typed."""
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def email_key(email: str) -> str:
    """Emails are unique case-insensitively: the claim is on the normalised form."""
    return f"email#{normalize_email(email)}"


def normalize_email(email: str) -> str:
    """The form uniqueness and login compare: NFKC, then full Unicode case folding (then NFKC again, as
    folding can undo it), so look-alikes such as the Kelvin sign `K` are the letter `k` they render as,
    and cannot claim a second account for the same address."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


class EmailClaim(Model):
    """`email#<normalised email>` in UniqueKeysTable, written in the same transaction as the User.

    Its condition (attribute_not_exists) is what makes two registrations of one email impossible, and it
    maps an email to its user with one strongly consistent GetItem at login."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(attr_name="userId")
    created_at = UnicodeAttribute(attr_name="createdAt")


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
