"""Sessions: one per login (device). Refresh tokens are stored only as SHA-256 hashes.

Also the login-failure counters behind the lockout, which live in the RateLimits table.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.core.models import TableMeta


class SessionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class Session(Model):
    class Meta(TableMeta):
        table_name = table_name("SESSIONS_TABLE", "SessionsTable")

    id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(attr_name="userId")
    role = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")  # precise ISO: the byUser sort key
    last_used_at = UnicodeAttribute(attr_name="lastUsedAt")
    user_agent = UnicodeAttribute(null=True, attr_name="userAgent")
    ip_address = UnicodeAttribute(null=True, attr_name="ipAddress")
    refresh_hash = UnicodeAttribute(attr_name="refreshHash")
    # Hashes of refresh tokens already rotated out (the newest last, capped): presenting one again is
    # token reuse. A list rather than a set so the oldest can be dropped.
    used_refresh_hashes = ListAttribute(of=UnicodeAttribute, null=True, attr_name="usedRefreshHashes")
    # When the last rotation happened (epoch seconds): the token it replaced (the last used hash) may still
    # arrive from a concurrent refresh for REFRESH_REUSE_GRACE_SECONDS without counting as reuse.
    rotated_at = NumberAttribute(null=True, attr_name="rotatedAt")
    revoked_at = UnicodeAttribute(null=True, attr_name="revokedAt")
    # Absolute expiry (epoch seconds), pushed forward by every refresh; DynamoDB TTL removes the item later.
    ttl = NumberAttribute()

    by_user = SessionsByUser()

    def is_live(self) -> bool:
        return self.revoked_at is None and self.ttl > clock.epoch()


class LoginFailures(Model):
    """Failed logins for one lowercased email, in a window anchored at the first failure.

    Key `login-fail#<email>` in the RateLimits table (shared with pitchey.core.ratelimit counters)."""

    class Meta(TableMeta):
        table_name = table_name("RATE_LIMITS_TABLE", "RateLimitsTable")

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    window_end = NumberAttribute(null=True, attr_name="windowEnd")
    ttl = NumberAttribute(null=True)


class AccountToken(Model):
    """A single-use token sent by mail (email verification, password reset) or handed out at login (the
    MFA challenge). The token is `<id>.<secret>`; only the secret's SHA-256 is stored, compared in constant
    time. `usedAt` is set by the conditional update that consumes it, so it works once."""

    class Meta(TableMeta):
        table_name = table_name("ACCOUNT_TOKENS_TABLE", "AccountTokensTable")

    id = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()  # verify-email | reset-password | mfa-challenge
    user_id = UnicodeAttribute(attr_name="userId")
    secret_hash = UnicodeAttribute(attr_name="secretHash")
    created_at = UnicodeAttribute(attr_name="createdAt")
    expires_at = NumberAttribute(attr_name="expiresAt")  # epoch seconds
    used_at = UnicodeAttribute(null=True, attr_name="usedAt")
    failures = NumberAttribute(null=True)  # wrong codes against an MFA challenge
    ttl = NumberAttribute()  # DynamoDB TTL removes it a day after it expires
