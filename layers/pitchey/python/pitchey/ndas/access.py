"""The one question other contexts ask the NDA context: has this user signed an NDA for this pitch?

Pitches call only `has_signed_nda`; the NDA work replaces its body with one Query on the NDAs table. Until
that table exists no NDA can have been signed, so the honest answer is False.
"""

from __future__ import annotations


def has_signed_nda(user_id: str, pitch_id: str) -> bool:
    """True when `user_id` holds a `signed` (not revoked or expired) NDA for `pitch_id`."""
    return False
