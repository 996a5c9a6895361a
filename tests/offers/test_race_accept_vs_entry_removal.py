"""A YES races staff taking the patient off the waitlist: either the patient is booked (and the
removal finds the entry already ended) or removed (and the YES books nothing: the offer is
withdrawn). Never a removed entry holding the slot."""

import datetime as dt
import random
import threading
import time

import pytest
from django.db import connection

from core.actors import Actor
from messaging import services as messaging
from offers import services
from offers.models import Cancellation, Offer
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, pending, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20
STAFF = Actor("staff", "race-staff", None)


def _yes(offer, n):
    message, _ = messaging.inbound_record(
        params={"MessageSid": f"SM{n:032x}", "From": offer.phone.e164, "Body": "YES"}
    )
    return message


def _remove(entry_id):
    return waitlist.entry_deactivate(entry_id=entry_id, reason=WaitlistEntry.InactiveReason.REMOVED, actor=STAFF,
                                     note="race")


def _assert_one_consistent_outcome(c, offer, removed):
    c.refresh_from_db()
    offer.refresh_from_db()
    entry = WaitlistEntry.objects.get(pk=offer.entry_id)
    if removed:
        assert entry.inactive_reason == WaitlistEntry.InactiveReason.REMOVED
        assert offer.status == Offer.Status.WITHDRAWN
        assert c.status == Cancellation.Status.OFFERING and c.filled_offer_id is None
    else:
        assert entry.inactive_reason == WaitlistEntry.InactiveReason.FULFILLED
        assert (c.status, c.filled_offer_id, offer.status) == (
            Cancellation.Status.FILLED, offer.pk, Offer.Status.ACCEPTED)


def test_a_yes_racing_the_entry_removal_ends_in_exactly_one_consistent_outcome(clock, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    cl = clinic()
    jitter = random.Random(7)
    for n in range(ROUNDS):
        waiting(3)
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        offer = pending(c)[0]
        yes = _yes(offer, n)
        clock.advance(seconds=1)
        delay = jitter.uniform(0, 0.03)  # lets either side start first

        def remove(pk=offer.entry_id, delay=delay):
            time.sleep(delay)
            return _remove(pk)

        reply, removed = run_together(lambda pk=yes.pk: messaging.inbound_process(message_id=pk), remove)
        assert reply == "accept" and isinstance(removed, bool), (reply, removed)
        _assert_one_consistent_outcome(c, offer, removed)
        clock.advance(minutes=1)


def _someone_waits_on_a_lock(timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cur.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def _in_thread(job, results, key):
    def run():
        try:
            results[key] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to assert on
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _hold_open(monkeypatch, module, action):
    """Make `module.audit_record` stop, after writing `action`, until released: the transaction
    around it stays open (its row locks held) while the other side runs."""
    reached, release = threading.Event(), threading.Event()
    real = module.audit_record

    def audit_then_wait(**kwargs):
        event = real(**kwargs)
        if kwargs.get("action") == action:
            reached.set()
            release.wait(10)
        return event

    monkeypatch.setattr(module, "audit_record", audit_then_wait)
    return reached, release


def _removal_held_open_then_yes(clock, monkeypatch, c, n):
    # the YES finds the entry still active (the removal is not committed yet), then meets it
    offer = pending(c)[0]
    yes = _yes(offer, n)
    reached, release = _hold_open(monkeypatch, waitlist, "entry.deactivate.removed")
    results = {}
    removing = _in_thread(lambda: _remove(offer.entry_id), results, "removed")
    assert reached.wait(10)
    accepting = _in_thread(lambda: messaging.inbound_process(message_id=yes.pk), results, "reply")
    try:
        assert _someone_waits_on_a_lock(), "the YES should wait for the removal's row lock"
    finally:
        release.set()
        removing.join(15)
        accepting.join(15)
        monkeypatch.undo()
    assert results == {"removed": True, "reply": "accept"}, results
    _assert_one_consistent_outcome(c, offer, removed=True)


def _booking_held_open_then_removal(clock, monkeypatch, c, n):
    offer = pending(c)[0]
    yes = _yes(offer, n)
    reached, release = _hold_open(monkeypatch, services, "offer.accept")
    results = {}
    accepting = _in_thread(lambda: messaging.inbound_process(message_id=yes.pk), results, "reply")
    assert reached.wait(10)
    removing = _in_thread(lambda: _remove(offer.entry_id), results, "removed")
    try:
        assert _someone_waits_on_a_lock(), "the removal should wait for the booking's row lock"
    finally:
        release.set()
        accepting.join(15)
        removing.join(15)
        monkeypatch.undo()
    assert results == {"removed": False, "reply": "accept"}, results
    _assert_one_consistent_outcome(c, offer, removed=False)


def test_whichever_of_a_yes_and_a_removal_commits_first_the_other_waits_for_it(clock, sms, monkeypatch):
    sms.plays_provider = False
    cl = clinic()
    waiting(3)
    _removal_held_open_then_yes(clock, monkeypatch, slot(cl), 1000)
    clock.advance(minutes=1)
    waiting(3)
    _booking_held_open_then_removal(clock, monkeypatch, slot(cl, start_at=SLOT_AT + dt.timedelta(days=1)), 1001)
