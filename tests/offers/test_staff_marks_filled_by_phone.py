"""Staff filled the slot by phone: outreach ends, pending patients are told it is taken, and a
late YES books nothing."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "ana.frontdesk", None)


def test_marking_filled_by_phone_tells_pending_patients_and_ends_outreach(clock, settle, sms):
    waiting(5)
    c = slot(clinic())
    settle()
    offers = pending(c)
    assert services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=STAFF, note="called Mr. B")
    settle()
    c.refresh_from_db()
    assert (c.status, c.end_reason, c.filled_note) == ("filled", "by_phone", "called Mr. B")
    assert c.filled_at is not None and c.filled_offer_id is None
    for o in offers:
        o.refresh_from_db()
        assert o.status == Offer.Status.SUPERSEDED
        assert "just taken" in sms.bodies_to(o.phone.e164)[-1]
    assert AuditEvent.objects.filter(action="cancellation.filled_by_phone", actor_label="ana.frontdesk").exists()
    clock.advance(seconds=20)
    text_in(offers[0].phone.e164, "YES")
    c.refresh_from_db()
    assert c.filled_offer_id is None
    assert not Offer.objects.filter(cancellation=c, status="accepted").exists()


def test_a_slot_that_already_ended_cannot_be_marked_filled(clock, settle):
    waiting(1)
    c = slot(clinic())
    settle()
    services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    assert not services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=STAFF)
    c.refresh_from_db()
    assert c.status == Cancellation.Status.WITHDRAWN
