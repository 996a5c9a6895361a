"""When outreach starts: at once inside the location's sending window; at the next window when a
slot is logged at night or on a closure date; never, when the next window opens too close to the
cutoff. DST days are checked against naive local arithmetic, which would be an hour off."""

import datetime as dt
import zoneinfo

import pytest

from offers import services
from offers.models import Cancellation, Offer
from tests import factories as f
from waitlist.models import ClosureDate

from ._support import CHICAGO, clinic, slot, waiting

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def local(*args, tz=CHICAGO):
    return dt.datetime(*args, tzinfo=tz)


def tick_at(clock, settle, when):
    clock.set(when.astimezone(UTC))
    result = services.engine_tick()
    settle()
    return result


def test_a_slot_logged_inside_the_window_is_offered_at_once(clock, settle, sms):
    cl = clinic()
    waiting(3)
    c = slot(cl)
    settle()
    assert Offer.objects.filter(cancellation=c).count() == 3
    assert len(sms.sent) == 3


def test_a_slot_logged_at_night_waits_for_the_next_window(clock, settle, sms):
    cl = clinic()
    waiting(3)
    clock.set(local(2026, 11, 25, 22, 0).astimezone(UTC))
    c = slot(cl, start_at=local(2026, 11, 26, 14, 0))
    settle()
    c.refresh_from_db()
    assert (c.status, c.next_wave_at) == (Cancellation.Status.OPEN, local(2026, 11, 26, 8, 0))
    assert tick_at(clock, settle, local(2026, 11, 26, 7, 59, 59))["waves"] == 0
    assert sms.sent == []
    assert tick_at(clock, settle, local(2026, 11, 26, 8, 0))["waves"] == 1
    assert len(sms.sent) == 3


def test_a_slot_whose_next_window_opens_past_the_cutoff_ends_unfilled_without_a_text(clock, settle, sms):
    cl = clinic()
    waiting(3)
    clock.set(local(2026, 11, 25, 22, 0).astimezone(UTC))
    c = slot(cl, start_at=local(2026, 11, 26, 8, 30))  # cutoff 07:30, window opens 08:00
    settle()
    c.refresh_from_db()
    assert (c.status, c.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.CUTOFF)
    assert sms.sent == []


def test_a_closure_date_moves_outreach_to_the_next_open_day(clock, settle, sms):
    cl = clinic()
    ClosureDate.objects.create(location=cl.location, date=dt.date(2026, 11, 26), reason="Thanksgiving")
    waiting(2)
    clock.set(local(2026, 11, 26, 9, 0).astimezone(UTC))
    c = slot(cl, start_at=local(2026, 11, 27, 15, 0))
    settle()
    c.refresh_from_db()
    assert c.next_wave_at == local(2026, 11, 27, 8, 0)
    assert tick_at(clock, settle, local(2026, 11, 26, 12, 0))["waves"] == 0
    assert tick_at(clock, settle, local(2026, 11, 27, 8, 0))["waves"] == 1
    assert len(sms.sent) == 2


def test_a_location_override_of_window_and_cutoff_is_honoured(clock, settle, sms):
    cl = clinic(sending_start=dt.time(7, 0), sending_end=dt.time(21, 0), cutoff_minutes=30)
    waiting(2)
    # 20:30 is outside the default window but inside this location's
    clock.set(local(2026, 11, 25, 20, 30).astimezone(UTC))
    now_slot = slot(cl, start_at=local(2026, 11, 26, 12, 0))
    settle()
    assert Offer.objects.filter(cancellation=now_slot).count() == 2
    # logged at 22:00 for 07:45: the default cutoff (60) would leave nothing; 30 leaves 07:00-07:15
    clock.set(local(2026, 11, 25, 22, 0).astimezone(UTC))
    early = slot(cl, start_at=local(2026, 11, 26, 7, 45), provider=f.provider(cl.location, types=[cl.atype]))
    settle()
    early.refresh_from_db()
    assert (early.status, early.next_wave_at) == (Cancellation.Status.OPEN, local(2026, 11, 26, 7, 0))


def test_on_the_spring_forward_day_outreach_starts_at_eight_daylight_time(clock, settle, sms):
    cl = clinic()
    waiting(3)
    clock.set(local(2026, 3, 7, 21, 0).astimezone(UTC))  # Saturday night, CST
    c = slot(cl, start_at=local(2026, 3, 8, 9, 5))  # Sunday, CDT; cutoff 08:05 CDT
    settle()
    c.refresh_from_db()
    # naive local arithmetic would say 14:00 UTC, after the cutoff; 08:00 CDT is 13:00 UTC
    assert c.status == Cancellation.Status.OPEN
    assert c.next_wave_at == dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert tick_at(clock, settle, c.next_wave_at)["waves"] == 1
    offers = list(Offer.objects.filter(cancellation=c))
    assert offers and all(o.expires_at <= local(2026, 3, 8, 8, 5) for o in offers)
    assert all("Reply YES by 8:02 AM" in s.body for s in sms.sent)


def test_on_the_fall_back_day_outreach_starts_at_eight_standard_time(clock, settle, sms):
    cl = clinic()
    waiting(2)
    clock.set(local(2026, 10, 31, 22, 0).astimezone(UTC))  # CDT
    c = slot(cl, start_at=local(2026, 11, 1, 10, 0))  # CST
    settle()
    c.refresh_from_db()
    assert c.next_wave_at == dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert tick_at(clock, settle, dt.datetime(2026, 11, 1, 13, 30, tzinfo=UTC))["waves"] == 0
    assert tick_at(clock, settle, c.next_wave_at)["waves"] == 1
    assert all("Reply YES by 8:07 AM" in s.body for s in sms.sent)


def test_the_reply_by_time_is_the_locations_clock(clock, settle, sms):
    cl = clinic(tz="America/Denver")
    waiting(1)
    slot(cl, start_at=local(2026, 11, 26, 14, 0, tz=zoneinfo.ZoneInfo("America/Denver")))
    settle()
    # 10:00 Chicago is 09:00 Denver; the hold is 7 minutes
    assert "Reply YES by 9:07 AM" in sms.sent[0].body


def test_a_wave_waiting_for_the_window_is_not_sent_at_night_even_when_staff_push_it(clock, settle, sms):
    cl = clinic()
    waiting(2)
    c = slot(cl)
    clock.set(local(2026, 11, 25, 23, 0).astimezone(UTC))
    from core.actors import Actor

    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=Actor("staff", "s")) == "waiting-for-window"
    settle()
    assert sms.sent == []
