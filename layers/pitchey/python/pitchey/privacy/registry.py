"""Where each DynamoDB table of the template keeps data about a user: the one list the export and the
erasure read, checked against template.yaml by tests/unit/test_privacy_registry.py (a table missing here,
or an index named here that the template lacks, fails the test). docs/privacy.md explains the rules.

Every table is one `Table`: either `find` (Queries by the user's id, on the table's key or a GSI whose hash
key names the user), `through` (reached from another table's items, e.g. messages from the user's
conversation memberships) or `no_personal_data` (why nothing in it identifies a person). `area` is the
export file the items go to.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitchey.core.config import table_name


@dataclass(frozen=True)
class Find:
    """Items whose `attribute` (the hash key of `index`, or of the table when None) is `value`."""

    attribute: str
    index: str | None = None
    value: str = "{user_id}"
    own: bool = True  # False: the user is the other party; the export leaves the owner's personal fields out
    export: bool = True  # False: the items are someone else's (found only to erase the user's name in them)


@dataclass(frozen=True)
class Table:
    logical_id: str
    env: str
    area: str | None = None
    find: tuple[Find, ...] = ()
    through: str | None = None  # how its items are reached when no index names the user
    no_personal_data: str | None = None
    erasure: str = ""  # what account erasure does to the user's items (docs/privacy.md)
    others_fields: frozenset[str] = frozenset()  # fields of the user's own items that name someone else

    @property
    def name(self) -> str:
        return table_name(self.env, self.logical_id)


# Attributes that identify a person (name, email, IP, device): dropped from the other party's items in an
# export and removed or replaced by erasure.
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "toEmail",
        "username",
        "firstName",
        "lastName",
        "companyName",
        "bio",
        "avatarUrl",
        "searchText",
        "ipAddress",
        "userAgent",
        "signerName",
        "signerIp",
        "signerUserAgent",
        "blockedUsername",
    }
)
# Server secrets an export never contains, even the user's own.
SECRET_FIELDS = frozenset(
    {
        "passwordHash",
        "mfaSecret",
        "mfaPendingSecret",
        "mfaBackupHashes",
        "refreshHash",
        "usedRefreshHashes",
        "secretHash",
        # Step Functions task tokens of the NDA and investment waits
        "decisionTaskToken",
        "signatureTaskToken",
        "pendingToken",
        "dueDiligenceToken",
        "negotiationToken",
        "committedToken",
        "activeToken",
    }
)

TABLES: tuple[Table, ...] = (
    Table(
        "UsersTable",
        "USERS_TABLE",
        "profile",
        (Find("id"),),
        erasure="name, email, profile and MFA fields replaced or removed; email becomes "
        "deleted-<id>@deleted.invalid",
    ),
    Table(
        "UniqueKeysTable",
        "UNIQUE_KEYS_TABLE",
        through="the email claim `email#<normalised email>` is derived from the user's email; the other "
        "claims (open NDA / investment / live project, system messages posted) hold ids only",
        erasure="the email claim is deleted (the email is free again)",
    ),
    Table(
        "SessionsTable",
        "SESSIONS_TABLE",
        "sessions",
        (Find("userId", "byUser"),),
        erasure="deleted",
    ),
    Table(
        "RateLimitsTable",
        "RATE_LIMITS_TABLE",
        through="counters keyed by IP, user id or email, living minutes (TTL; login lockout 15 min, "
        "new-follower marker a day); the keys derivable from the user are computed",
        erasure="the login-lockout counter of the email and the auth counters of the user's known "
        "IPs are deleted",
    ),
    Table(
        "AccountTokensTable",
        "ACCOUNT_TOKENS_TABLE",
        no_personal_data="single-use tokens: the user's id and a SHA-256 of the secret, removed by TTL a day "
        "after they expire (at most 25 h)",
    ),
    Table(
        "AuditLogTable",
        "AUDIT_LOG_TABLE",
        "audit",
        (
            Find("actorId"),
            Find("targetKey", "byTarget", "user#{user_id}"),
            Find("targetKey", "byTarget", "email#{email_digest}"),
        ),
        erasure="kept (legal record); ipAddress and userAgent removed from the user's own entries and from "
        "entries about the email (failed logins), whose target becomes the erased user",
    ),
    Table(
        "IdempotencyTable",
        "IDEMPOTENCY_TABLE",
        no_personal_data="stored responses of create routes (pitches, media, follows, NDA requests, "
        "reports), "
        "none of which carries a name, email or IP; keyed by a hash, removed by TTL after 24 h",
    ),
    Table(
        "NotificationsTable",
        "NOTIFICATIONS_TABLE",
        "notifications",
        (Find("userId"), Find("actorId", "byActor", own=False, export=False)),
        erasure="the user's notifications deleted; notifications to others that quote the username "
        "(messages, new followers: index byActor) say 'deleted user'",
    ),
    Table(
        "PitchesTable",
        "PITCHES_TABLE",
        "pitches",
        (Find("creatorId", "byCreator"),),
        erasure="archived (out of every browse index)",
    ),
    Table(
        "PitchHistoryTable",
        "PITCH_HISTORY_TABLE",
        "pitches",
        through="per pitch (PitchesTable byCreator): the pitch's own field changes and the actor's id",
        erasure="kept with the archived pitch (no name, email or IP)",
    ),
    Table(
        "PitchViewsTable",
        "PITCH_VIEWS_TABLE",
        no_personal_data="view de-duplication markers `<pitchId>#<viewer key>` (a user id or a hash of the "
        "anonymous viewer), removed by TTL after 30 minutes",
    ),
    Table(
        "PitchLikesTable",
        "PITCH_LIKES_TABLE",
        "likes",
        (Find("userId", "byUser"),),
        erasure="kept (ids only; the pitches' like counts stay right)",
    ),
    Table(
        "FollowsTable",
        "FOLLOWS_TABLE",
        "follows",
        (Find("followerId", "byFollower"), Find("targetKey", "byTarget", "user#{user_id}", own=False)),
        erasure="deleted, both directions",
    ),
    Table(
        "InvestmentsTable",
        "INVESTMENTS_TABLE",
        "investments",
        (Find("investorId", "byInvestor"),),
        through="investments in the user's pitches: InvestmentsTable byPitch per pitch",
        erasure="kept as legal records (ids, amounts, terms; no name, email or IP)",
    ),
    Table(
        "ConnectionsTable",
        "CONNECTIONS_TABLE",
        "realtime",
        (Find("userId", "byUser"),),
        erasure="deleted",
    ),
    Table(
        "ChannelSubscriptionsTable",
        "CHANNEL_SUBSCRIPTIONS_TABLE",
        through="the channels of the user's connections (ConnectionsTable byUser, `subscriptions`)",
        erasure="deleted",
    ),
    Table(
        "RealtimeStateTable",
        "REALTIME_STATE_TABLE",
        through="`presence#<userId>` (derived key)",
        erasure="deleted",
    ),
    Table(
        "NotificationPreferencesTable",
        "NOTIFICATION_PREFERENCES_TABLE",
        "notification_preferences",
        (Find("userId"),),
        erasure="deleted",
    ),
    Table(
        "EmailOutboxTable",
        "EMAIL_OUTBOX_TABLE",
        "emails",
        (Find("userId", "byUser"),),
        through="instant emails to others about the user's messages and follows: `notification#<id>` of the "
        "notifications found by byActor",
        erasure="the user's emails deleted; the others' instant emails say 'deleted user' instead of "
        "the name",
    ),
    Table(
        "DigestQueueTable",
        "DIGEST_QUEUE_TABLE",
        through="entries `<userId>#...` in the digest buckets of the last 35 days (derived keys)",
        erasure="deleted",
    ),
    Table(
        "NdasTable",
        "NDAS_TABLE",
        "ndas",
        (Find("requesterId", "byRequester"), Find("creatorId", "byCreator", own=False)),
        erasure="kept as legal records; signerName, signerIp and signerUserAgent removed",
    ),
    Table(
        "NdaTemplatesTable",
        "NDA_TEMPLATES_TABLE",
        "nda_templates",
        (Find("ownerId"),),
        erasure="deleted (the NDAs made from them keep their own copy of the text)",
    ),
    Table(
        "ConversationsTable",
        "CONVERSATIONS_TABLE",
        "messages",
        through="the user's memberships (ConversationMembersTable)",
        erasure="kept; the user's participant entry says 'deleted user'",
    ),
    Table(
        "ConversationMembersTable",
        "CONVERSATION_MEMBERS_TABLE",
        "messages",
        (Find("userId"),),
        erasure="kept (ids and read positions only), so conversations stay whole for the others",
    ),
    Table(
        "MessagesTable",
        "MESSAGES_TABLE",
        "messages",
        through="the user's conversations (ConversationMembersTable), messages with senderId = the user",
        erasure="kept; shown as from 'deleted user' (the participant entry)",
    ),
    Table(
        "ReadReceiptsTable",
        "READ_RECEIPTS_TABLE",
        no_personal_data="ids and message sequence numbers only",
    ),
    Table(
        "BlocksTable",
        "BLOCKS_TABLE",
        "blocks",
        (Find("blockerId", "byBlocker"), Find("blockedId", "byBlocked", own=False, export=False)),
        others_fields=frozenset({"blockedUsername"}),
        erasure="the user's blocks deleted; others' blocks of the user keep blocking, named 'deleted user'",
    ),
    Table(
        "MessageAttachmentsTable",
        "MESSAGE_ATTACHMENTS_TABLE",
        through="the attachments of the user's messages (MessagesTable `attachments`); unsent ones "
        "expire in a day",
        erasure="kept with the messages",
    ),
    Table(
        "AnalyticsEventsTable",
        "ANALYTICS_EVENTS_TABLE",
        no_personal_data="pseudonymous track events (user id or a hash of the viewer, never an IP or a "
        "name), removed by TTL",
    ),
    Table(
        "AnalyticsAggregatesTable",
        "ANALYTICS_AGGREGATES_TABLE",
        no_personal_data="per-pitch counters and sets of viewer hashes (no IP, name or email)",
    ),
    Table(
        "InvestmentEventsTable",
        "INVESTMENT_EVENTS_TABLE",
        "investments",
        (Find("investorId"),),
        erasure="kept as legal records (ids, amounts)",
    ),
    Table(
        "CreditAccountsTable",
        "CREDIT_ACCOUNTS_TABLE",
        "credits",
        (Find("userId"),),
        erasure="kept as a payment record (balance, Stripe customer id)",
    ),
    Table(
        "CreditLedgerTable",
        "CREDIT_LEDGER_TABLE",
        "credits",
        (Find("userId"),),
        erasure="kept as payment records",
    ),
    Table(
        "PaymentTransactionsTable",
        "PAYMENT_TRANSACTIONS_TABLE",
        "payments",
        (Find("userId", "byUser"),),
        erasure="kept as payment records (amounts, Stripe ids; no name, email or IP)",
    ),
    Table(
        "PaymentRecordsTable",
        "PAYMENT_RECORDS_TABLE",
        no_personal_data="webhook and checkout de-duplication records (Stripe ids, our ids), TTL",
    ),
    Table(
        "ProjectsTable",
        "PROJECTS_TABLE",
        "projects",
        (Find("companyId", "byCompany"), Find("creatorId", "byCreator")),
        erasure="kept as business records (ids, titles, budgets)",
    ),
    Table(
        "ProjectItemsTable",
        "PROJECT_ITEMS_TABLE",
        "projects",
        through="per project of the user (ProjectsTable byCompany / byCreator)",
        erasure="kept with the project",
    ),
    Table(
        "ActivityFeedTable",
        "ACTIVITY_FEED_TABLE",
        "activity",
        (Find("userId"),),
        erasure="the user's feed deleted (others' feeds hold the user's id only)",
    ),
    Table(
        "ReportsTable",
        "REPORTS_TABLE",
        "reports",
        (Find("reporterId", "byReporter"),),
        erasure="kept as moderation records (ids, reason)",
    ),
    Table(
        "BroadcastsTable",
        "BROADCASTS_TABLE",
        no_personal_data="an admin's broadcast text and the fan-out's page cursors (user ids), "
        "removed by TTL",
    ),
    Table(
        "ExportsTable",
        "EXPORTS_TABLE",
        "exports",
        (Find("userId", "byUser"),),
        erasure="deleted, with their zip files",
    ),
)

BY_ID = {table.logical_id: table for table in TABLES}


def table(logical_id: str) -> Table:
    return BY_ID[logical_id]
