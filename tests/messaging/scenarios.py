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
