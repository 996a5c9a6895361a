"""Staff taking back one offer was one of the reference's stalls. Now the patient is told, the
action is audited under the staff member's name, and if it was the last pending offer the next
wave starts at once."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "maria.frontdesk", None)


def test_withdrawing_the_last_pending_offer_starts_the_next_wave(clock, settle, sms):
    waiting(4)
    c = slot(clinic())
    settle()
    a, b, last = pending(c)
    text_in(a.phone.e164, "no")
    text_in(b.phone.e164, "no")
    settle()
    assert services.offer_withdraw(offer_id=last.pk, actor=STAFF)
    settle()
    last.refresh_from_db()
    c.refresh_from_db()
    assert last.status == Offer.Status.WITHDRAWN
    assert "no longer available" in sms.bodies_to(last.phone.e164)[-1]
    assert c.current_wave == 2 and len(pending(c)) == 1
    assert AuditEvent.objects.filter(action="offer.withdrawn", object_id=str(last.pk),
                                     actor_label="maria.frontdesk").exists()


def test_withdrawing_one_of_several_pending_offers_waits_for_the_rest(clock, settle, sms):
    waiting(4)
    c = slot(clinic())
    settle()
    a, *_ = pending(c)
    services.offer_withdraw(offer_id=a.pk, actor=STAFF)
    settle()
    c.refresh_from_db()
    assert c.current_wave == 1 and len(pending(c)) == 2


def test_withdrawing_an_offer_that_already_ended_changes_nothing(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    a, *_ = pending(c)
    text_in(a.phone.e164, "no")
    assert not services.offer_withdraw(offer_id=a.pk, actor=STAFF)
    a.refresh_from_db()
    assert a.status == Offer.Status.DECLINED
