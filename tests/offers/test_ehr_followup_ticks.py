"""After a fill staff tick two EHR follow-ups: the new visit booked, the old one released. Each
once, each audited with who ticked it; only a filled slot has them."""

import pytest
from django.core.exceptions import ValidationError

from core.actors import Actor
from core.models import AuditEvent
from offers import services

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "kim.frontdesk", None)


@pytest.fixture
def filled(clock, settle):
    waiting(3)
    c = slot(clinic())
    settle()
    text_in(pending(c)[0].phone.e164, "YES")
    c.refresh_from_db()
    return c


def test_each_tick_is_recorded_once_with_who_did_it(filled, clock):
    clock.advance(minutes=5)
    assert services.cancellation_ehr_tick(cancellation_id=filled.pk, which="booked", actor=STAFF)
    assert not services.cancellation_ehr_tick(cancellation_id=filled.pk, which="booked", actor=STAFF)
    clock.advance(minutes=5)
    assert services.cancellation_ehr_tick(cancellation_id=filled.pk, which="released", actor=STAFF)
    filled.refresh_from_db()
    assert filled.ehr_booked_by == filled.ehr_released_by == "kim.frontdesk"
    assert filled.ehr_released_at > filled.ehr_booked_at > filled.filled_at
    actions = set(AuditEvent.objects.filter(object_id=str(filled.pk), actor_label="kim.frontdesk")
                  .values_list("action", flat=True))
    assert actions == {"cancellation.ehr_booked", "cancellation.ehr_released"}


def test_an_unfilled_slot_has_no_ehr_ticks(clock, settle):
    waiting(1)
    c = slot(clinic())
    assert not services.cancellation_ehr_tick(cancellation_id=c.pk, which="booked", actor=STAFF)


def test_an_unknown_tick_is_a_clear_error(filled):
    with pytest.raises(ValidationError):
        services.cancellation_ehr_tick(cancellation_id=filled.pk, which="cancelled", actor=STAFF)
