"""User profiles: reading one's own, another's public profile, and editing the editable fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from pynamodb.exceptions import UpdateError

from pitchey.core import audit, clock
from pitchey.core.db import Transaction
from pitchey.core.errors import NotFound
from pitchey.users.models import EmailClaim, User, email_key, user_view

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.users.schemas import UpdateProfile

MAX_ID_LENGTH = 128  # ids are 32 characters; anything far longer is not one (and not a valid key)


def get_user(user_id: str) -> User:
    if not user_id or len(user_id) > MAX_ID_LENGTH:
        raise NotFound("User not found")
    try:
        return User.get(user_id, consistent_read=True)
    except User.DoesNotExist:
        raise NotFound("User not found") from None


def find_by_email(email: str) -> User | None:
    """The user registered with `email` (any case), via its uniqueness claim: strongly consistent."""
    try:
        claim = EmailClaim.get(email_key(email), consistent_read=True)
    except EmailClaim.DoesNotExist:
        return None
    try:
        return User.get(claim.user_id, consistent_read=True)
    except User.DoesNotExist:
        return None


ROLE_LABELS = {"creator": "Creator", "investor": "Investor", "production": "Production company"}


class Party(NamedTuple):
    """A user as documents name them: full name (or username), company, and portal."""

    name: str
    company: str | None
    role: str  # "Creator", "Investor", "Production company"


def party(user_id: str) -> Party:
    try:
        user = User.get(user_id)
    except User.DoesNotExist:
        return Party(name="(account closed)", company=None, role="User")
    full_name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return Party(
        name=full_name or user.username,
        company=user.company_name or None,
        role=ROLE_LABELS.get(user.user_type, user.user_type.title()),
    )


def is_admin(user_id: str) -> bool:
    """An active user holding the admin flag (a suspended admin is no admin)."""
    try:
        user = User.get(user_id, consistent_read=True)
    except User.DoesNotExist:
        return False
    return bool(user.is_admin) and user.account_status == "active"


def own_profile(user_id: str) -> dict[str, Any]:
    return user_view(get_user(user_id))


def public_profile(user_id: str) -> dict[str, Any]:
    return user_view(get_user(user_id), include_email=False)


_PROFILE_ATTRIBUTES = {
    "first_name": User.first_name,
    "last_name": User.last_name,
    "company_name": User.company_name,
    "bio": User.bio,
    "avatar_url": User.avatar_url,
}


def update_profile(
    user_id: str, changes: UpdateProfile, *, ip_address: str | None, user_agent: str | None
) -> dict[str, Any]:
    """Partial update of the fields sent; null or "" clears a field. One conditional UpdateItem."""
    sent = sorted(changes.model_fields_set)
    if not sent:
        return own_profile(user_id)
    actions = []
    for name in sent:
        value = getattr(changes, name)
        attribute = _PROFILE_ATTRIBUTES[name]
        actions.append(attribute.set(value) if value else attribute.remove())
    actions.append(User.updated_at.set(clock.iso()))
    user = User(user_id)
    try:
        user.update(actions=actions, condition=User.id.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("User not found") from None
        raise
    audit.record(
        "user.profile_update",
        actor_id=user_id,
        target_type="user",
        target_id=user_id,
        ip_address=ip_address,
        user_agent=user_agent,
        details={"fields": [_PROFILE_ATTRIBUTES[name].attr_name for name in sent]},
    )
    return user_view(user)


def set_subscription_tier(tx: Transaction, user_id: str, tier: str) -> None:
    """Add the user's `subscriptionTier` change to a payments transaction (only Stripe's webhook calls it)."""
    tx.update(
        "user-tier",
        User(user_id),
        [User.subscription_tier.set(tier), User.updated_at.set(clock.iso())],
        User.id.exists(),
    )
