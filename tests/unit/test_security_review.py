"""Issue #11: each attack an adversarial review found, reproduced against the handlers (moto in-process).

The races and realtime items also have integration tests through the local runtime
(tests/integration/test_security_review.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pitchey.auth import service as auth_service
from tests.auth_support import PASSWORD, login, register


# --- 1. lockout under parallel guesses ---------------------------------------------------------------------
def test_parallel_guesses_get_at_most_five_password_checks(aws, monkeypatch):
    register("investor", email="alice@example.com")
    checks = []
    real_verify = auth_service.verify_password
    entered = threading.Semaphore(0)
    release = threading.Event()

    def slow_verify(password, password_hash):
        checks.append(password)
        entered.release()
        if password != PASSWORD:
            release.wait(10)  # the wrong guesses are still in bcrypt when the right one arrives
        return real_verify(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", slow_verify)
    with ThreadPoolExecutor(12) as pool:
        wrong = [pool.submit(login, "investor", "alice@example.com", "wr0ng-guess") for _ in range(5)]
        for _ in range(5):
            assert entered.acquire(timeout=10)
        right = login("investor", "alice@example.com", PASSWORD)  # five guesses in flight, then the password
        more = [pool.submit(login, "investor", "alice@example.com", "wr0ng-guess") for _ in range(6)]
        release.set()
        answers = [future.result() for future in wrong + more]
    assert right.status == 429 and right.code == "ACCOUNT_LOCKED"
    assert sorted(a.status for a in answers) == [401] * 5 + [429] * 6
    assert len(checks) == 5
