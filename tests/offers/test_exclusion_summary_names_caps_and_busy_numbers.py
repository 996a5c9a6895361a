"""A slot that ends "nobody eligible left" because everyone was capped, resting after an offer or
pending elsewhere must say so: staff saw an empty summary and no reason at all."""

import datetime as dt

import pytest

from clinicbot.clock import now
from offers.models import Cancellation
from offers.selectors import exclusion_summary

from ._support import SLOT_AT, clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


def test_exclusion_summary_names_the_cap(clock, settle):
    cl = clinic()
    waiting(1)
    first = slot(cl)
    settle()
    (offer,) = pending(first)
    text_in(offer.phone.e164, "no")
    settle()
    clock.advance(minutes=30)
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(days=1))
    settle()
    second.refresh_from_db()
    assert (second.status, second.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.EXHAUSTED)
    assert second.exclusion_summary["offer cap reached"] == 1


def test_exclusion_summary_names_a_pending_offer_or_cooldown(clock, settle, settings):
    settings.OFFER_CAP_PER_DAY = 5
    settings.OFFER_CAP_PER_WEEK = 10
    cl = clinic()
    waiting(1)
    first = slot(cl)
    settle()
    (offer,) = pending(first)
    text_in(offer.phone.e164, "no")
    settle()
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(days=1))
    summary = exclusion_summary(cancellation=second, at=now())
    assert summary["pending offer or cooldown"] == 1
    assert "offer cap reached" not in summary  # listed only when it kept someone out
