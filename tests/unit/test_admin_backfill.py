"""The one-off directory backfill: users from before the admin directory become listable, once."""

from __future__ import annotations

from pitchey.admin import service
from pitchey.core.db import PageRequest
from pitchey.users.models import DIRECTORY, User
from tests.unit.accounts import make_user


def test_backfill_gives_old_users_a_directory_entry_once(aws):
    old = make_user("creator", username="Old_Timer")  # made without directory/searchText, like old users
    assert User.get(old.id).directory is None
    listed = service.list_users("old_timer", None, PageRequest(limit=20))
    assert old.id not in [u["id"] for u in listed.items]

    assert service.backfill_directory() == {"scanned": 1, "updated": 1}
    user = User.get(old.id)
    assert user.directory == DIRECTORY and user.search_text == f"{old.email.lower()} old_timer"
    listed = service.list_users("old_timer", None, PageRequest(limit=20))
    assert [u["id"] for u in listed.items] == [old.id]

    assert service.backfill_directory() == {"scanned": 0, "updated": 0}
