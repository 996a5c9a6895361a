"""Who is offered first: highest stored score; ties go to the number with fewer offers in the last 7
days, then to whoever joined first. The offer keeps the score and its breakdown for staff."""

import datetime as dt

import pytest

from clinicbot.clock import now
from core.actors import Actor
from offers.models import Offer
from offers.selectors import eligible_entries, pick_wave
from tests import factories as f
from waitlist import services as waitlist

from ._support import SLOT_AT, clinic, pending, slot

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "test-staff")


@pytest.fixture
def cl(clock):
    return clinic()


def order(c):
    return list(eligible_entries(cancellation=c, at=now()).values_list("pk", flat=True))


def test_a_higher_score_goes_first(cl, clock):
    plain = f.entry(f.patient())
    boosted = f.entry(f.patient())
    urgent = f.entry(f.patient(), urgent=True)
    waitlist.entry_boost(entry_id=boosted.pk, amount=20, reason="clinical note", actor=STAFF)
    assert order(slot(cl)) == [urgent.pk, boosted.pk, plain.pk]


def test_ties_go_to_fewer_recent_offers_then_to_who_joined_first(cl, clock, settings):
    settings.OFFER_CAP_PER_DAY = 5
    joined = now() - dt.timedelta(days=3)
    first = f.entry(f.patient(), joined_at=joined)
    second = f.entry(f.patient(), joined_at=joined + dt.timedelta(hours=1))
    busy = f.entry(f.patient(), joined_at=joined - dt.timedelta(days=1))
    # the earliest joiner had an offer two days ago: it goes last among equals
    other = slot(cl, start_at=SLOT_AT + dt.timedelta(days=2))
    Offer.objects.create(
        cancellation=other, entry=busy, patient=busy.patient, phone=busy.patient.phone, wave=1,
        status=Offer.Status.DECLINED, score=0, sent_at=now() - dt.timedelta(days=2),
        expires_at=now() - dt.timedelta(days=2) + dt.timedelta(minutes=7), ended_at=now() - dt.timedelta(days=2),
    )
    assert len({e.priority for e in (first, second, busy)}) == 1
    assert order(slot(cl)) == [first.pk, second.pk, busy.pk]


def test_a_family_number_gets_one_offer_per_wave(cl):
    parent = f.patient()
    kid = f.patient(phone=parent.phone.e164, first="Kid")
    f.entry(parent, urgent=True)
    f.entry(kid, urgent=True)
    third = f.entry(f.patient())
    picked = pick_wave(cancellation=slot(cl), at=now(), size=2)
    assert len(picked) == 2
    assert len({e.patient.phone_id for e in picked}) == 2
    assert picked[1].pk == third.pk


def test_each_offer_stores_the_score_and_its_breakdown(cl, settle):
    e = f.entry(f.patient(), urgent=True, current_appointment_at=now() + dt.timedelta(days=100))
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    assert offer.score == e.priority == 30 + 10
    b = offer.score_breakdown
    assert b["urgent"] + b["manual_boost"] + b["current_appointment"] + b["time_on_list"] == offer.score
    assert b["offers_last_7_days"] == 0
