"""Offer-side set-ups for messaging tests, built with the shared factories and the real engine."""

from __future__ import annotations

import datetime as dt

from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0


def slot_with_offers(settle, *, patients: int = 1, start_in=dt.timedelta(hours=5), language="en", **location):
    """A cancellation offered to `patients` waitlisted patients (one wave); returns (slot, offers)."""
    loc = f.location(**location)
    prov = f.provider(loc)
    for _ in range(patients):
        f.entry(f.patient(language=language))
    c = f.cancellation(prov, loc, T0 + start_in)
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    return c, list(Offer.objects.filter(cancellation=c).select_related("phone", "patient").order_by("pk"))


def wrong_number_reported(client, settle, number: str, *then: str):
    """A consented patient at `number`, whose number answers "Wrong number" (then each of `then`, e.g.
    "START"), through the signed webhook; returns the patient."""
    from .twilio_requests import text_in

    patient = f.patient(phone=number)
    assert patient.phone.can_text
    for body in ("Wrong number", *then):
        text_in(client, number, body)
    settle()
    return patient
