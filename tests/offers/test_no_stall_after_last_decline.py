"""A decline of the last pending offer was one of the reference's stalls (it waited for the next
poll). Now the next wave starts in the same breath, and an empty waitlist ends the slot."""

import pytest

from offers.models import Cancellation

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


def test_declining_the_last_pending_offer_starts_the_next_wave_at_once(clock, settle, sms):
    waiting(5)
    c = slot(clinic())
    settle()
    first_wave = pending(c)
    for offer in first_wave[:-1]:
        text_in(offer.phone.e164, "no")
        settle()
        c.refresh_from_db()
        assert c.current_wave == 1
    text_in(first_wave[-1].phone.e164, "no thanks")
    settle()
    c.refresh_from_db()
    assert c.current_wave == 2
    assert len(pending(c)) == 2


def test_when_nobody_is_left_the_slot_ends_unfilled_with_the_reasons(clock, settle, sms):
    waiting(2)
    waiting(1, visit_minutes=60)
    c = slot(clinic())
    settle()
    for offer in pending(c):
        text_in(offer.phone.e164, "NO")
    settle()
    c.refresh_from_db()
    assert (c.status, c.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.EXHAUSTED)
    assert c.exclusion_summary["visit longer than slot"] == 1
    assert c.exclusion_summary["already offered this slot"] == 2
