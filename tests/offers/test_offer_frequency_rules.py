"""The rules that count a number's offers: not offered this slot before, one pending offer per
number, at most 1 a day and 3 a week (configurable), and 15 minutes after the previous one ended."""

import datetime as dt

import pytest

from clinicbot.clock import now
from offers.models import Offer
from tests import factories as f

from ._support import SLOT_AT, clinic, eligible_ids, slot

pytestmark = pytest.mark.django_db

_hours = iter(range(1, 500))


@pytest.fixture
def cl(clock):
    return clinic()


def earlier_offer(entry, cl, *, sent_ago, ended_ago=None, status=Offer.Status.DECLINED, on=None):
    """An offer this entry's number had before, on another slot."""
    c = on or slot(cl, start_at=SLOT_AT + dt.timedelta(days=1, hours=next(_hours)))
    at = now()
    return Offer.objects.create(
        cancellation=c, entry=entry, patient=entry.patient, phone=entry.patient.phone, wave=1, status=status,
        score=0, sent_at=at - sent_ago, expires_at=at - sent_ago + dt.timedelta(minutes=7),
        ended_at=None if status == Offer.Status.PENDING else at - (ended_ago or sent_ago),
    )


def test_an_entry_is_not_offered_the_same_slot_twice(cl):
    e, other = f.entry(f.patient()), f.entry(f.patient())
    c = slot(cl)
    earlier_offer(e, cl, sent_ago=dt.timedelta(days=9), on=c)
    assert eligible_ids(c) == {other.pk}


def test_a_number_with_a_pending_offer_elsewhere_is_not_eligible(cl):
    e, other = f.entry(f.patient()), f.entry(f.patient())
    earlier_offer(e, cl, sent_ago=dt.timedelta(days=9), status=Offer.Status.PENDING)
    assert eligible_ids(slot(cl)) == {other.pk}


def test_a_shared_family_number_with_a_pending_offer_blocks_the_whole_family(cl):
    parent = f.patient()
    child = f.patient(phone=parent.phone.e164, first="Kid")
    e_parent, e_child = f.entry(parent), f.entry(child)
    earlier_offer(e_parent, cl, sent_ago=dt.timedelta(days=9), status=Offer.Status.PENDING)
    assert e_child.patient.phone_id == e_parent.patient.phone_id
    assert eligible_ids(slot(cl)) == set()


def test_one_offer_a_day_per_number(cl):
    recent, yesterday = f.entry(f.patient()), f.entry(f.patient())
    earlier_offer(recent, cl, sent_ago=dt.timedelta(hours=23))
    earlier_offer(yesterday, cl, sent_ago=dt.timedelta(hours=25))
    assert eligible_ids(slot(cl)) == {yesterday.pk}


def test_three_offers_a_week_per_number(cl):
    three, two = f.entry(f.patient()), f.entry(f.patient())
    for days in (2, 4, 6):
        earlier_offer(three, cl, sent_ago=dt.timedelta(days=days))
    for days in (2, 8, 9):  # two of these are older than a week
        earlier_offer(two, cl, sent_ago=dt.timedelta(days=days))
    assert eligible_ids(slot(cl)) == {two.pk}


def test_the_caps_come_from_settings(cl, settings):
    e = f.entry(f.patient())
    earlier_offer(e, cl, sent_ago=dt.timedelta(hours=2))
    c = slot(cl)
    assert eligible_ids(c) == set()
    settings.OFFER_CAP_PER_DAY = 2
    assert eligible_ids(c) == {e.pk}
    settings.OFFER_CAP_PER_WEEK = 1
    assert eligible_ids(c) == set()


def test_a_number_rests_fifteen_minutes_after_its_previous_offer_ended(cl, settings):
    # caps lifted so only the cooldown decides
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 99
    resting, rested = f.entry(f.patient()), f.entry(f.patient())
    earlier_offer(resting, cl, sent_ago=dt.timedelta(minutes=30), ended_ago=dt.timedelta(minutes=14))
    earlier_offer(rested, cl, sent_ago=dt.timedelta(minutes=30), ended_ago=dt.timedelta(minutes=16))
    assert eligible_ids(slot(cl)) == {rested.pk}
    settings.OFFER_COOLDOWN_MINUTES = 10
    assert eligible_ids(slot(cl, start_at=SLOT_AT + dt.timedelta(hours=1))) == {resting.pk, rested.pk}
