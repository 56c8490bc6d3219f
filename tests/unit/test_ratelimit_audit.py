from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.core import audit, clock, ratelimit
from pitchey.core.errors import RateLimited


def test_fixed_window_counts_and_refuses_past_the_limit(aws):
    for expected in range(1, 4):
        assert ratelimit.hit("t", "1.2.3.4", limit=3) == expected
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("t", "1.2.3.4", limit=3)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    # another identity has its own window
    assert ratelimit.hit("t", "5.6.7.8", limit=3) == 1


def test_concurrent_hits_are_counted_atomically(aws, monkeypatch):
    # One window: on a loaded machine the 40 hits could otherwise straddle a minute boundary.
    monkeypatch.setattr(clock, "epoch", lambda: 1_800_000_000)
    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(lambda _: ratelimit.hit("c", "u", limit=1000), range(40)))
    assert counts == list(range(1, 41))


def test_audit_entry_is_queryable_by_actor_and_target(aws):
    audit.record("auth.login", actor_id="u1", target_type="session", target_id="s1", ip_address="1.1.1.1")
    entries = list(audit.AuditEntry.query("u1"))
    assert [e.action for e in entries] == ["auth.login"]
    assert entries[0].target_key == "session#s1" and entries[0].ip_address == "1.1.1.1"
