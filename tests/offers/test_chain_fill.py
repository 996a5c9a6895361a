"""The winner's released old appointment becomes a new cancellation (a chain fill): same service as
any other slot, linked to the fill that freed it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "jo.frontdesk", None)
OLD_VISIT = SLOT_AT + dt.timedelta(days=40)


def fill_with_winner(cl, settle, **winner_fields):
    (winner,) = waiting(1, urgent=True, **winner_fields)
    waiting(6, current_appointment_at=OLD_VISIT + dt.timedelta(days=30))
    c = slot(cl, duration=30)
    settle()
    offer = Offer.objects.get(cancellation=c, entry=winner)
    text_in(offer.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    assert c.filled_offer_id == offer.pk
    return c


def test_the_winners_old_appointment_becomes_a_new_cancellation(clock, settle, sms):
    cl = clinic()
    c = fill_with_winner(cl, settle, current_appointment_at=OLD_VISIT, current_appointment_provider=cl.provider,
                         current_appointment_location=cl.location, visit_minutes=30)
    new = services.cancellation_chain_fill(cancellation_id=c.pk, actor=STAFF)
    settle()
    new.refresh_from_db()
    assert (new.start_at, new.provider_id, new.location_id) == (OLD_VISIT, cl.provider.pk, cl.location.pk)
    assert (new.duration_minutes, new.chained_from_id, new.status) == (30, c.pk, Cancellation.Status.OFFERING)
    assert Offer.objects.filter(cancellation=new).count() == 3
    assert AuditEvent.objects.filter(action="cancellation.create", object_id=str(new.pk),
                                     actor_label="jo.frontdesk").exists()
    with pytest.raises(ValidationError):
        services.cancellation_chain_fill(cancellation_id=c.pk, actor=STAFF)  # already logged


def test_without_a_recorded_old_appointment_there_is_nothing_to_chain(clock, settle):
    c = fill_with_winner(clinic(), settle)
    with pytest.raises(ValidationError):
        services.cancellation_chain_fill(cancellation_id=c.pk, actor=STAFF)


def test_a_slot_filled_by_phone_has_no_winner_to_chain_from(clock, settle):
    waiting(2)
    c = slot(clinic())
    settle()
    services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=STAFF)
    with pytest.raises(ValidationError):
        services.cancellation_chain_fill(cancellation_id=c.pk, actor=STAFF)
    assert pending(c) == []
