"""Pause ("on the phone with someone"): no new waves, but pending offers keep running (they can be
accepted, declined, and they expire). Resume picks up where it stopped, at once."""

import datetime as dt

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "sam.frontdesk", None)


@pytest.fixture
def c(clock, settle):
    waiting(6)
    c = slot(clinic())
    settle()
    return c


def test_while_paused_declines_and_expiries_run_but_no_wave_starts(c, clock, settle):
    assert services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    a, b, rest = pending(c)
    text_in(a.phone.e164, "no")
    clock.advance(minutes=8)
    services.engine_tick()
    services.sweep()
    settle()
    statuses = set(Offer.objects.filter(cancellation=c).values_list("status", flat=True))
    assert statuses == {Offer.Status.DECLINED, Offer.Status.EXPIRED}
    c.refresh_from_db()
    assert (c.current_wave, c.paused, c.status) == (1, True, Cancellation.Status.OFFERING)
    assert AuditEvent.objects.filter(action="cancellation.pause", actor_label="sam.frontdesk").exists()


def test_a_pending_offer_can_still_be_accepted_while_paused(c, settle):
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    text_in(pending(c)[0].phone.e164, "YES")
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED


def test_resuming_starts_the_overdue_wave_at_once(c, clock, settle, sms):
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    for o in pending(c):
        text_in(o.phone.e164, "no")
    settle()
    c.refresh_from_db()
    assert c.current_wave == 1
    assert services.cancellation_resume(cancellation_id=c.pk, actor=STAFF)
    settle()
    c.refresh_from_db()
    assert (c.current_wave, c.paused) == (2, False)
    assert len(pending(c)) == 3
    assert AuditEvent.objects.filter(action="cancellation.resume", actor_label="sam.frontdesk").exists()


def test_resuming_with_offers_still_pending_waits_for_them(c, settle):
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    services.cancellation_resume(cancellation_id=c.pk, actor=STAFF)
    settle()
    c.refresh_from_db()
    assert c.current_wave == 1


def test_pausing_twice_or_resuming_an_unpaused_slot_is_refused(c):
    assert services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    assert not services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    assert services.cancellation_resume(cancellation_id=c.pk, actor=STAFF)
    assert not services.cancellation_resume(cancellation_id=c.pk, actor=STAFF)


def test_a_paused_slot_does_not_stay_open_past_its_cutoff(c, clock, settle):
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    for o in pending(c):
        text_in(o.phone.e164, "no")
    settle()
    clock.set(c.start_at - dt.timedelta(minutes=61))  # one minute left before the cutoff
    services.sweep()
    c.refresh_from_db()
    assert (c.status, c.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.CUTOFF)
