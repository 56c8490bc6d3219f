"""Email by preference: instant mail through the outbox and SES, retries, and daily/weekly digests."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest

from pitchey.core import clock
from pitchey.notifications import digest, emails
from pitchey.notifications.models import DigestEntry, OutboxEmail
from pitchey.notifications.preferences import update_preferences
from pitchey.notifications.service import notify
from tests.events import lambda_context, load_handler
from tests.unit.accounts import make_user
from tests.unit.notifications_support import (
    SENDER,
    install_fakes,
    sent_emails,
    stream_event,
    stream_record,
    verify_sender,
)

router = load_handler("notifications/email_router")
sender = load_handler("notifications/email_sender")
retry = load_handler("notifications/email_retry")
daily = load_handler("notifications/daily_digest")
weekly = load_handler("notifications/weekly_digest")


@pytest.fixture
def mail(aws, monkeypatch):
    install_fakes(monkeypatch)
    verify_sender()


def route(*notes):
    return router(stream_event(*[stream_record(note) for note in notes]), lambda_context())


def outbox():
    return sorted(OutboxEmail.scan(), key=lambda email: email.created_at)


def send_queued():
    """What the outbox stream does: one attempt per new email."""
    records = [
        {
            "eventName": "INSERT",
            "dynamodb": {"Keys": {"id": {"S": email.id}}, "SequenceNumber": str(n)},
        }
        for n, email in enumerate(outbox())
    ]
    return sender({"Records": records}, lambda_context())


# --- instant ----------------------------------------------------------------------------------------------
def test_an_instant_notification_is_queued_then_sent_once(mail):
    alice = make_user("investor", first="Alice")
    note = notify(
        alice.id, "nda_request", "New NDA request", "Bob wants to read <Night Train>", {"ndaId": "1"}
    )
    assert route(note) == {"batchItemFailures": []}
    [queued] = outbox()
    assert queued.status == "pending" and queued.to_email == alice.email and queued.from_email == SENDER
    assert queued.subject == "[Pitchey] New NDA request"
    assert "Bob wants to read <Night Train>" in queued.text
    assert "Bob wants to read &lt;Night Train&gt;" in queued.html

    assert send_queued() == {"batchItemFailures": []}
    [message] = sent_emails()
    assert message.destinations["ToAddresses"] == [alice.email]
    assert message.subject == "[Pitchey] New NDA request"
    sent = OutboxEmail.get(queued.id)
    assert sent.status == "sent" and sent.attempts == 1 and sent.pending_queue is None

    # the stream delivers records at least once: a replay queues and sends nothing new
    route(note)
    send_queued()
    assert len(outbox()) == 1 and len(sent_emails()) == 1


def test_the_email_carries_a_working_unsubscribe_link(mail):
    alice = make_user("investor")
    route(notify(alice.id, "investment_created", "New investment", "Someone invested"))
    [queued] = outbox()
    link = next(line for line in queued.text.splitlines() if "unsubscribe?token=" in line)
    token = unquote(link.split("token=", 1)[1])
    claims = emails.read_unsubscribe_token(token)
    assert (claims.user_id, claims.category) == (alice.id, "investment")


def test_never_sends_nothing_and_other_categories_still_go(mail):
    alice = make_user("investor")
    update_preferences(alice.id, {"nda": "never"})
    route(notify(alice.id, "nda_approved", "Approved", "Your NDA was approved"))
    assert outbox() == []
    route(notify(alice.id, "message", "New message", "Hi"))
    assert [email.subject for email in outbox()] == ["[Pitchey] New message"]


def test_payment_and_system_are_always_instant(mail):
    alice = make_user("investor")
    update_preferences(alice.id, {c: "never" for c in ("nda", "investment", "message", "pitch", "digest")})
    route(notify(alice.id, "payment", "Payment received", "$10"), notify(alice.id, "system", "Hello", "Hi"))
    assert len(outbox()) == 2
    assert all("concerns your Pitchey account" in email.text for email in outbox())


def test_daily_category_waits_for_the_digest(mail):
    alice = make_user("investor")
    route(notify(alice.id, "new_follower", "New follower", "Bob follows you"))  # pitch: daily by default
    assert outbox() == []
    [entry] = DigestEntry.scan()
    assert entry.bucket == f"daily#{clock.now():%Y-%m-%d}" and entry.user_id == alice.id


def test_digest_never_switches_digest_emails_off(mail):
    alice = make_user("investor")
    update_preferences(alice.id, {"digest": "never"})
    route(notify(alice.id, "pitch_update", "Updated", "A pitch changed", {"pitchId": "p"}))
    assert outbox() == [] and list(DigestEntry.scan()) == []


def test_a_user_without_an_account_gets_no_email(mail):
    route(notify("ghost", "system", "Hello", "Hi"))
    assert outbox() == []


# --- failures and retries ---------------------------------------------------------------------------------
def test_a_failed_send_is_kept_and_retried_not_lost(aws, monkeypatch):
    install_fakes(monkeypatch)  # the sender identity is not verified yet: SES rejects the send
    alice = make_user("investor")
    route(notify(alice.id, "system", "Hello", "Hi"))
    assert send_queued() == {"batchItemFailures": []}
    [email] = outbox()
    assert email.status == "pending" and email.attempts == 1
    assert "not verified" in email.last_error
    assert email.next_attempt_at > clock.iso_precise()
    assert sent_emails() == []

    assert retry({}, lambda_context()) == {}  # not due yet
    later = clock.now() + timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    verify_sender()
    assert retry({}, lambda_context()) == {"sent": 1}
    assert OutboxEmail.get(email.id).status == "sent"
    assert len(sent_emails()) == 1


def test_after_the_last_attempt_the_email_is_marked_failed(aws, monkeypatch, setenv):
    install_fakes(monkeypatch)
    setenv("EMAIL_MAX_ATTEMPTS", "2")
    alice = make_user("investor")
    route(notify(alice.id, "system", "Hello", "Hi"))
    send_queued()
    later = clock.now() + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert retry({}, lambda_context()) == {"failed": 1}
    [email] = outbox()
    assert email.status == "failed" and email.attempts == 2 and email.pending_queue is None
    assert retry({}, lambda_context()) == {}


def test_an_email_under_lease_is_not_sent_twice(mail):
    alice = make_user("investor")
    route(notify(alice.id, "system", "Hello", "Hi"))
    [email] = outbox()
    assert emails._claim(email.id, clock.epoch()) is not None  # another attempt is in flight
    assert emails.deliver(email.id) == "skipped"
    assert sent_emails() == []


# --- digests ----------------------------------------------------------------------------------------------
def test_daily_digest_sends_one_email_per_user_and_run_twice_sends_once(mail):
    alice, bob = make_user("investor", first="Alice"), make_user("investor", first="Bob")
    notes = [
        notify(alice.id, "pitch_update", f"Update {n}", f"Pitch {n} changed", {"pitchId": f"p{n}"})
        for n in range(3)
    ]
    notes.append(notify(bob.id, "new_follower", "New follower", "Carol follows you"))
    notes.append(notify(alice.id, "nda_request", "NDA", "instant, not in the digest"))
    route(*notes)
    send_queued()
    assert len(sent_emails()) == 1  # the instant one

    assert daily({}, lambda_context()) == {"emails": 2, "items": 4, "skippedRead": 0}
    send_queued()
    digests = [m for m in sent_emails() if "digest" in m.subject]
    assert sorted(m.destinations["ToAddresses"][0] for m in digests) == sorted([alice.email, bob.email])
    alice_mail = next(m for m in digests if m.destinations["ToAddresses"] == [alice.email])
    assert alice_mail.subject == "[Pitchey] Your daily Pitchey digest (3 new)"
    assert all(f"Pitch {n} changed" in alice_mail.body for n in range(3))
    assert "instant, not in the digest" not in alice_mail.body

    assert daily({}, lambda_context()) == {"emails": 0, "items": 0, "skippedRead": 0}
    send_queued()
    assert len([m for m in sent_emails() if "digest" in m.subject]) == 2
    assert weekly({}, lambda_context())["emails"] == 0


def test_digest_skips_items_read_meanwhile(mail):
    from tests.events import call, http_event

    alice = make_user("investor")
    notes = [notify(alice.id, "pitch_update", f"Update {n}", "changed", {"pitchId": "p"}) for n in range(2)]
    route(*notes)
    read = load_handler("notifications/read")
    event = http_event("POST", "/x", token=alice.token, path_params={"id": notes[0].id})
    assert call(read, event).status == 200

    assert digest.run("daily") == {"emails": 1, "items": 1, "skippedRead": 1}
    [email] = [e for e in outbox() if e.kind == "digest"]
    assert email.notification_ids == [notes[1].id]
    assert digest.run("daily") == {"emails": 0, "items": 0, "skippedRead": 0}


def test_weekly_categories_go_to_the_weekly_digest(mail):
    alice = make_user("investor")
    update_preferences(alice.id, {"investment": "weekly"})
    route(notify(alice.id, "investment_update", "Investment moved", "Now in due diligence"))
    assert outbox() == []
    assert digest.run("daily")["emails"] == 0
    assert digest.run("weekly") == {"emails": 1, "items": 1, "skippedRead": 0}
    assert digest.run("weekly")["emails"] == 0


def test_a_missed_run_is_caught_up_by_the_next(mail, monkeypatch):
    alice = make_user("investor")
    yesterday = clock.now() - timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: yesterday)
    route(notify(alice.id, "new_follower", "New follower", "Bob follows you"))
    monkeypatch.undo()
    assert digest.run("daily")["emails"] == 1


def test_a_digest_run_never_resends_items_another_run_took(mail, monkeypatch):
    alice = make_user("investor")
    route(*[notify(alice.id, "new_follower", f"F{n}", "follows you") for n in range(3)])
    entries = list(DigestEntry.query(digest.bucket("daily", clock.now())))
    # another run marks one entry between this run's Query and its transaction
    original = digest._load

    def load_then_race(user_id, sort_keys):
        result = original(user_id, sort_keys)
        entries[1].update(actions=[DigestEntry.digested_at.set("elsewhere")])
        return result

    monkeypatch.setattr(digest, "_load", load_then_race)
    assert digest.run("daily")["emails"] == 0  # the whole transaction is refused, nothing half-sent
    monkeypatch.setattr(digest, "_load", original)
    assert digest.run("daily") == {"emails": 1, "items": 2, "skippedRead": 0}
