"""A location's window: the clinic default unless the location overrides it, its own closures and
time zone, and its own cutoff."""

import datetime as dt
import zoneinfo

import pytest

from tests import factories as f
from waitlist.models import ClosureDate
from waitlist.selectors import location_cutoff_minutes, location_window

pytestmark = pytest.mark.django_db
DENVER = zoneinfo.ZoneInfo("America/Denver")


def test_the_default_window_is_read_in_the_locations_own_zone():
    loc = f.location("Mountain", tz="America/Denver")
    w = location_window(loc)
    assert w.tz == DENVER
    assert w.next_open(dt.datetime(2026, 11, 25, 6, 0, tzinfo=DENVER)) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=DENVER)


def test_a_location_overrides_the_window_and_the_cutoff(settings):
    loc = f.location(sending_start=dt.time(7, 0), sending_end=dt.time(21, 30), cutoff_minutes=30)
    plain = f.location("Plain")
    w = location_window(loc)
    assert (w.start, w.end) == (dt.time(7, 0), dt.time(21, 30))
    assert (location_window(plain).start, location_window(plain).end) == settings.SENDING_HOURS
    assert (location_cutoff_minutes(loc), location_cutoff_minutes(plain)) == (30, settings.OFFER_CUTOFF_MINUTES)


def test_an_end_of_midnight_means_until_the_end_of_the_day():
    loc = f.location(sending_end=dt.time(0, 0))
    assert location_window(loc).end is None


def test_an_override_that_leaves_no_window_falls_back_to_the_default(settings):
    loc = f.location(sending_start=dt.time(21, 0))  # after the default 20:00 end
    w = location_window(loc)
    assert (w.start, w.end) == settings.SENDING_HOURS


def test_closures_belong_to_their_location():
    closed, open_ = f.location("Closed"), f.location("Open")
    ClosureDate.objects.create(location=closed, date=dt.date(2026, 11, 26), reason="Thanksgiving")
    noon = dt.datetime(2026, 11, 26, 12, 0, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
    assert not location_window(closed, around=noon).is_open(noon)
    assert location_window(open_, around=noon).is_open(noon)
