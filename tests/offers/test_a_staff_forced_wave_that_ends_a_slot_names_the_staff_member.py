"""When staff press "next wave now" and nobody is left, the slot ends by their hand: the audit trail
names them, not the engine."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "lee.frontdesk", None)


def test_a_forced_wave_with_nobody_left_ends_the_slot_in_the_staff_members_name(clock, settle):
    (e,) = waiting(1)
    c = slot(clinic())
    settle()
    (offer,) = pending(c)
    # paused, so the decline leaves the slot waiting for staff instead of ending it as the engine
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    text_in(offer.phone.e164, "NO")
    settle()
    c.refresh_from_db()
    assert c.status in Cancellation.ACTIVE
    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF) == "exhausted"
    c.refresh_from_db()
    assert c.status == Cancellation.Status.UNFILLED
    event = AuditEvent.objects.get(action="cancellation.unfilled", object_id=str(c.pk))
    assert event.actor_label == "lee.frontdesk"
