"""Every create and update of patients, numbers and consent, entries and cancellations, and every
offer and cancellation status change, is in the trail with its actor and before/after values."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from core.actors import Actor
from core.models import AuditEvent
from messaging.models import PhoneNumber
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0
from waitlist import services as waitlist
from waitlist.models import Patient, WaitlistEntry

from .conftest import INBOUND

pytestmark = pytest.mark.django_db


def _events(obj, action=None):
    qs = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return qs.filter(action=action) if action else qs


def test_a_fill_leaves_an_audit_row_for_every_change_naming_who(clock, settle, post_signed):
    desk = User.objects.create_user("frontdesk", password="x" * 20)
    staff = Actor.staff(desk)
    loc = f.location()
    prov = f.provider(loc)
    patients = []
    for i in range(2):
        p, _ = waitlist.patient_upsert(actor=staff, first_name="Ada", last_name=f"Lovelace{i}",
                                       phone=f.phone_number(), consent_source="written")
        PhoneNumber.objects.filter(pk=p.phone_id).update(welcomed_at=T0)
        waitlist.entry_save(actor=staff, patient=p, appointment_type=f.appointment_type())
        patients.append(p)
    entry = WaitlistEntry.objects.get(patient=patients[0])
    waitlist.entry_boost(entry_id=entry.pk, amount=10, reason="clinical need", actor=staff)
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5), actor=staff)
    settle()
    winner = Offer.objects.filter(cancellation=c).first()
    post_signed(INBOUND, {"MessageSid": "SM" + "1" * 32, "From": winner.phone.e164, "Body": "YES"})
    loser = Offer.objects.exclude(pk=winner.pk).get(cancellation=c)
    post_signed(INBOUND, {"MessageSid": "SM" + "2" * 32, "From": loser.phone.e164, "Body": "STOP"})
    settle()

    for p in Patient.objects.all():
        created = _events(p, "patient.create").get()
        assert created.actor_kind == "staff" and created.actor_user_id == desk.pk
        assert created.after["first_name"] == "Ada"
        assert _events(p.phone, "consent.record").get().actor_user_id == desk.pk
    for e in WaitlistEntry.objects.all():
        assert _events(e, "entry.create").exists()
    boost = _events(entry, "entry.boost").get()
    assert boost.before["manual_boost"] == 0 and boost.after["manual_boost"] == 10 and boost.note == "clinical need"
    assert _events(c, "cancellation.create").get().actor_user_id == desk.pk
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    filled = _events(c, "cancellation.filled").get()
    assert filled.before["status"] == "offering" and filled.after["status"] == "filled"

    for offer in Offer.objects.filter(cancellation=c):
        action = "offer.accept" if offer.status == Offer.Status.ACCEPTED else f"offer.{offer.status}"
        assert _events(offer, action).exists(), f"no audit row for offer {offer.pk} -> {offer.status}"
    accept = _events(winner, "offer.accept").get()
    assert accept.actor_kind == "patient"
    assert accept.actor_label.endswith(winner.phone.e164[-4:]) and winner.phone.e164 not in accept.actor_label
    opt_out = _events(loser.phone, "consent.opt_out").get()
    assert opt_out.actor_kind == "patient" and opt_out.after == {"opted_out": True}


def test_an_audit_row_is_rolled_back_with_the_change_it_records():
    staff = Actor("staff", "desk")
    with pytest.raises(RuntimeError), transaction.atomic():
        p, _ = waitlist.patient_upsert(actor=staff, first_name="Gone", last_name="Before", phone=f.phone_number())
        raise RuntimeError("the request failed after the write")
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.create").exists()
