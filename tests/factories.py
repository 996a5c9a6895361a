"""Small builders for tests. Every object goes through the same services the product uses where a
service exists, so tests exercise real paths."""

from __future__ import annotations

import datetime as dt
import itertools

from core.actors import Actor
from messaging.models import PhoneNumber
from offers import services as offers
from waitlist import services as waitlist
from waitlist.models import AppointmentType, Location, Provider

STAFF = Actor("staff", "test-staff")
_seq = itertools.count(1)


def appointment_type(code="follow-up", minutes=20) -> AppointmentType:
    return AppointmentType.objects.get_or_create(code=code, defaults={"name": code.title(), "default_minutes": minutes})[0]


def location(name="Northside", tz="America/Chicago", **extra) -> Location:
    return Location.objects.create(name=f"{name} Clinic", sms_name=name, time_zone=tz, address="1 Main St", **extra)


def provider(loc: Location, types=None, kind="MD", name=None) -> Provider:
    n = next(_seq)
    p = Provider.objects.create(name=name or f"Dr. Test {n}", sms_name=f"Dr T{n}", kind=kind)
    p.locations.add(loc)
    for t in types or [appointment_type()]:
        p.appointment_types.add(t)
    return p


def phone_number(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return f"+1312555{n % 10000:04d}"


def patient(phone=None, consent=True, language="en", first="Pat", last=None, at=None):
    p, _ = waitlist.patient_upsert(
        actor=STAFF, first_name=first, last_name=last or f"Tester{next(_seq)}", phone=phone or phone_number(),
        language=language, consent_source="written" if consent else "", consent_at=at,
    )
    PhoneNumber.objects.filter(pk=p.phone_id).update(welcomed_at=at or dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    p.phone.refresh_from_db()
    return p


def entry(pat, atype=None, **fields):
    providers = fields.pop("providers", None)
    locations = fields.pop("locations", None)
    e, _ = waitlist.entry_save(
        actor=STAFF, patient=pat, appointment_type=atype or appointment_type(),
        providers=providers, locations=locations, **fields,
    )
    return e


def cancellation(prov, loc, start_at, atype=None, duration=20, actor=STAFF):
    return offers.cancellation_create(
        actor=actor, provider=prov, location=loc, appointment_type=atype or appointment_type(),
        start_at=start_at, duration_minutes=duration,
    )
