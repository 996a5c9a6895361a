"""Staff withdraw a slot: outreach ends, patients with a pending offer are told, and the audit
names who did it."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "dana.manager", None)


def test_withdrawing_tells_each_pending_patient_and_ends_outreach(clock, settle, sms):
    waiting(5)
    c = slot(clinic())
    settle()
    offers = pending(c)
    assert services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    settle()
    c.refresh_from_db()
    assert (c.status, c.end_reason, c.next_wave_at) == ("withdrawn", "withdrawn", None)
    for o in offers:
        o.refresh_from_db()
        assert o.status == Offer.Status.WITHDRAWN
        assert "no longer available" in sms.bodies_to(o.phone.e164)[-1]
    assert AuditEvent.objects.filter(action="cancellation.withdrawn", object_id=str(c.pk),
                                     actor_label="dana.manager").exists()
    assert AuditEvent.objects.filter(action="offer.withdrawn", actor_label="dana.manager").count() == 3
    # nothing restarts it
    services.sweep()
    settle()
    assert Offer.objects.filter(cancellation=c).count() == 3


def test_a_yes_after_the_withdrawal_is_told_it_is_no_longer_available(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    o = pending(c)[0]
    services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    clock.advance(seconds=10)
    text_in(o.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.WITHDRAWN
    assert "no longer available" in sms.bodies_to(o.phone.e164)[-1]


def test_a_filled_slot_cannot_be_withdrawn(clock, settle):
    waiting(3)
    c = slot(clinic())
    settle()
    text_in(pending(c)[0].phone.e164, "YES")
    assert not services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
