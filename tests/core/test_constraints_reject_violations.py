"""Each invariant is a database constraint: a row that breaks it is refused by the database itself
(bypassing services on purpose). Runs on PostgreSQL in CI and on SQLite locally."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from messaging.models import Message, PhoneNumber
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clock):
    loc = f.location()
    prov = f.provider(loc)
    pats = [f.patient() for _ in range(2)]
    entries = [f.entry(p) for p in pats]
    c = Cancellation.objects.create(
        provider=prov, location=loc, appointment_type=f.appointment_type(), start_at=T0 + dt.timedelta(hours=4),
        duration_minutes=20, created_at=T0, status="offering",
    )
    return {"loc": loc, "prov": prov, "patients": pats, "entries": entries, "c": c}


def _offer(world, i, **kw):
    e = world["entries"][i]
    defaults = dict(
        cancellation=world["c"], entry=e, patient=e.patient, phone=e.patient.phone, wave=1, score=0,
        sent_at=T0, expires_at=T0 + dt.timedelta(minutes=7),
    )
    defaults.update(kw)
    return Offer.objects.create(**defaults)


def _refused(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_boost_above_40_is_refused(world):
    e = world["entries"][0]
    _refused(lambda: WaitlistEntry.objects.filter(pk=e.pk).update(manual_boost=41))


def test_inactive_entry_needs_a_reason(world):
    e = world["entries"][0]
    _refused(lambda: WaitlistEntry.objects.filter(pk=e.pk).update(active=False, inactive_reason=""))


def test_second_offer_of_one_slot_to_one_patient_is_refused(world):
    _offer(world, 0, status="declined")
    _refused(lambda: _offer(world, 0))


def test_second_pending_offer_to_one_number_is_refused(world):
    other = Cancellation.objects.create(
        provider=world["prov"], location=world["loc"], appointment_type=f.appointment_type(),
        start_at=T0 + dt.timedelta(hours=6), duration_minutes=20, created_at=T0, status="offering",
    )
    _offer(world, 0)
    _refused(lambda: _offer(world, 0, cancellation=other))


def test_second_accepted_offer_of_one_slot_is_refused(world):
    _offer(world, 0, status="accepted")
    _refused(lambda: _offer(world, 1, status="accepted"))


def test_second_live_cancellation_for_one_provider_and_start_is_refused(world):
    c = world["c"]
    _refused(lambda: Cancellation.objects.create(
        provider=c.provider, location=c.location, appointment_type=c.appointment_type, start_at=c.start_at,
        duration_minutes=30, created_at=T0,
    ))


def test_a_withdrawn_cancellation_does_not_block_logging_the_slot_again(world):
    c = world["c"]
    Cancellation.objects.filter(pk=c.pk).update(status="withdrawn")
    Cancellation.objects.create(
        provider=c.provider, location=c.location, appointment_type=c.appointment_type, start_at=c.start_at,
        duration_minutes=30, created_at=T0,
    )


def test_provider_sid_is_unique_across_directions(world):
    phone = PhoneNumber.objects.first()
    sid = "SM" + "a" * 32
    Message.objects.create(direction="inbound", phone=phone, provider_sid=sid, created_at=T0, send_state="")
    _refused(lambda: Message.objects.create(direction="inbound", phone=phone, provider_sid=sid, created_at=T0,
                                            send_state=""))
    _refused(lambda: Message.objects.create(direction="outbound", phone=phone, provider_sid=sid, created_at=T0,
                                            send_state="sent"))


def test_phone_numbers_are_unique(world):
    _refused(lambda: PhoneNumber.objects.create(e164=world["patients"][0].phone.e164))
