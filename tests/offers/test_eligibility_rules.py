"""Each eligibility rule, alone: one entry it lets through, one it keeps out. The frozen clock is
Wed 2026-11-25 10:00 Chicago; the slot is Thu 2026-11-26 14:00 Chicago, 20 minutes (28 h away)."""

import datetime as dt

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.models import PhoneNumber
from tests import factories as f

from ._support import CHICAGO, SLOT_AT, clinic, eligible_ids, slot

pytestmark = pytest.mark.django_db

STAFF = Actor("staff", "test-staff")


@pytest.fixture
def cl(clock):
    return clinic()


def one(**fields):
    return f.entry(f.patient(), **fields)


def test_a_plain_active_entry_is_eligible(cl):
    e = one()
    assert eligible_ids(slot(cl)) == {e.pk}


def test_an_inactive_entry_is_not_eligible(cl):
    from waitlist import services as waitlist

    keep, gone = one(), one()
    waitlist.entry_deactivate(entry_id=gone.pk, reason="removed", actor=STAFF)
    assert eligible_ids(slot(cl)) == {keep.pk}


def test_ready_from_is_compared_with_the_locations_date(cl, clock):
    today = one(ready_from=dt.date(2026, 11, 25))
    tomorrow = one(ready_from=dt.date(2026, 11, 26))
    c = slot(cl)
    assert eligible_ids(c) == {today.pk}
    # 23:30 in Chicago is already the 26th in UTC: still the 25th where the clinic is
    late_evening = dt.datetime(2026, 11, 25, 23, 30, tzinfo=CHICAGO)
    assert eligible_ids(c, at=late_evening) == {today.pk}
    assert eligible_ids(c, at=late_evening + dt.timedelta(hours=1)) == {today.pk, tomorrow.pk}


def test_a_number_without_consent_is_not_eligible(cl):
    ok = one()
    f.entry(f.patient(consent=False))
    assert eligible_ids(slot(cl)) == {ok.pk}


def test_an_opted_out_number_is_not_eligible(cl):
    ok, out = one(), one()
    messaging.phone_opt_out(phone=out.patient.phone, source="keyword", actor=STAFF)
    assert eligible_ids(slot(cl)) == {ok.pk}


def test_a_number_that_cannot_receive_texts_is_not_eligible(cl):
    ok, landline = one(), one()
    PhoneNumber.objects.filter(pk=landline.patient.phone_id).update(cannot_receive=True)
    assert eligible_ids(slot(cl)) == {ok.pk}


def test_only_entries_for_the_slots_appointment_type_are_eligible(cl):
    ok = one()
    one(atype=f.appointment_type("physical", 40))
    assert eligible_ids(slot(cl)) == {ok.pk}


def test_the_slot_must_be_as_long_as_the_visit_needs(cl):
    fits, exact, any_length = one(visit_minutes=15), one(visit_minutes=20), one(visit_minutes=None)
    one(visit_minutes=30)
    assert eligible_ids(slot(cl, duration=20)) == {fits.pk, exact.pk, any_length.pk}


def test_nobody_is_eligible_once_the_provider_stops_taking_the_type(cl):
    one()
    c = slot(cl)
    cl.provider.appointment_types.remove(cl.atype)
    assert eligible_ids(c) == set()


def test_a_provider_preference_must_name_the_slots_provider(cl):
    other = f.provider(cl.location, types=[cl.atype])
    mine, anyone = one(providers=[cl.provider]), one(providers=[])
    one(providers=[other])
    assert eligible_ids(slot(cl)) == {mine.pk, anyone.pk}


def test_a_provider_kind_preference_must_match_the_slots_provider(cl):
    from waitlist.services import kinds_to_mask

    md, any_kind = one(provider_kinds_mask=kinds_to_mask(["MD", "DO"])), one(provider_kinds_mask=0)
    one(provider_kinds_mask=kinds_to_mask(["NP"]))
    assert eligible_ids(slot(cl)) == {md.pk, any_kind.pk}


def test_a_location_preference_must_name_the_slots_location(cl):
    elsewhere = f.location("Southside")
    here, anywhere = one(locations=[cl.location]), one(locations=[])
    one(locations=[elsewhere])
    assert eligible_ids(slot(cl)) == {here.pk, anywhere.pk}


def test_weekday_and_time_of_day_are_read_in_the_locations_time_zone(cl):
    from waitlist.services import weekdays_to_mask

    # Thu 19:00 in Chicago is Fri 01:00 in UTC
    evening = dt.datetime(2026, 11, 26, 19, 0, tzinfo=CHICAGO)
    thursday = one(weekdays_mask=weekdays_to_mask([3]))
    one(weekdays_mask=weekdays_to_mask([4]))
    evenings = one(earliest_time=dt.time(18, 0), latest_time=dt.time(20, 0))
    one(latest_time=dt.time(18, 0))
    one(earliest_time=dt.time(0, 30), latest_time=dt.time(2, 0))
    assert eligible_ids(slot(cl, start_at=evening)) == {thursday.pk, evenings.pk}


def test_a_time_of_day_window_includes_its_edges(cl):
    starts_at_slot = one(earliest_time=dt.time(14, 0))
    ends_at_slot = one(latest_time=dt.time(14, 0))
    one(earliest_time=dt.time(14, 1))
    one(latest_time=dt.time(13, 59))
    assert eligible_ids(slot(cl)) == {starts_at_slot.pk, ends_at_slot.pk}


def test_the_slot_must_start_at_least_the_entrys_minimum_notice_from_now(cl):
    enough, exactly = one(min_notice_hours=24), one(min_notice_hours=28)
    one(min_notice_hours=29)
    assert eligible_ids(slot(cl)) == {enough.pk, exactly.pk}


def test_the_slot_must_be_earlier_than_the_current_appointment(cl):
    later = one(current_appointment_at=SLOT_AT + dt.timedelta(days=30))
    none = one(current_appointment_at=None)
    one(current_appointment_at=SLOT_AT - dt.timedelta(days=1))
    one(current_appointment_at=SLOT_AT)  # the same time is not earlier
    assert eligible_ids(slot(cl)) == {later.pk, none.pk}

