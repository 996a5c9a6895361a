"""The sending window as instants: local wall-clock bounds resolved in the location's zone,
including the two US DST change days of 2026 in Chicago, closures and a 24:00 end."""

import datetime as dt
import zoneinfo

from clinicbot.sending_window import Window

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = dt.UTC


def window(start="08:00", end="20:00", closed=()):
    h, m = map(int, start.split(":"))
    e = None if end == "24:00" else dt.time(*map(int, end.split(":")))
    return Window(tz=CHICAGO, start=dt.time(h, m), end=e, closed_dates=frozenset(closed))


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_on_the_spring_forward_day_the_window_opens_at_eight_daylight_time():
    w = window()
    # the day before: 08:00 CST is 14:00 UTC; on 2026-03-08: 08:00 CDT is 13:00 UTC
    assert w.next_open(utc(2026, 3, 7, 7, 0)) == utc(2026, 3, 7, 14, 0)
    assert w.next_open(utc(2026, 3, 8, 7, 30)) == utc(2026, 3, 8, 13, 0)  # 01:30 CST, before the gap
    assert not w.is_open(utc(2026, 3, 8, 12, 59))
    assert w.is_open(utc(2026, 3, 8, 13, 0))
    assert w.closes_at(utc(2026, 3, 8, 13, 0)) == utc(2026, 3, 9, 1, 0)  # 20:00 CDT


def test_on_the_fall_back_day_the_window_opens_at_eight_standard_time():
    w = window()
    assert w.next_open(utc(2026, 10, 31, 3, 0)) == utc(2026, 10, 31, 13, 0)  # 08:00 CDT
    # 01:30 happens twice on 2026-11-01; either way the window opens at 08:00 CST = 14:00 UTC
    assert w.next_open(utc(2026, 11, 1, 6, 30)) == utc(2026, 11, 1, 14, 0)
    assert w.next_open(utc(2026, 11, 1, 7, 30)) == utc(2026, 11, 1, 14, 0)
    assert not w.is_open(utc(2026, 11, 1, 13, 30))
    assert w.closes_at(utc(2026, 11, 1, 14, 0)) == utc(2026, 11, 2, 2, 0)  # 20:00 CST


def test_a_window_starting_inside_the_spring_gap_opens_once_the_gap_is_over():
    w = window(start="02:30", end="20:00")
    # 02:30 does not exist on 2026-03-08: the first real instant after it is 03:30 CDT
    assert w.next_open(utc(2026, 3, 8, 7, 0)) == utc(2026, 3, 8, 8, 30)


def test_a_closure_date_skips_the_whole_local_day():
    w = window(closed={dt.date(2026, 11, 26)})
    thursday_noon = dt.datetime(2026, 11, 26, 12, 0, tzinfo=CHICAGO)
    assert not w.is_open(thursday_noon)
    assert w.next_open(thursday_noon) == dt.datetime(2026, 11, 27, 8, 0, tzinfo=CHICAGO)
    assert w.closes_at(thursday_noon) is None


def test_an_open_window_answers_now_and_says_when_it_closes():
    w = window()
    at = dt.datetime(2026, 11, 25, 19, 59, tzinfo=CHICAGO)
    assert w.next_open(at) == at
    assert w.closes_at(at) == dt.datetime(2026, 11, 25, 20, 0, tzinfo=CHICAGO)
    assert not w.is_open(dt.datetime(2026, 11, 25, 20, 0, tzinfo=CHICAGO))  # the end is exclusive


def test_a_window_to_midnight_closes_at_the_next_local_midnight():
    w = window(start="00:00", end="24:00")
    at = dt.datetime(2026, 11, 25, 23, 59, tzinfo=CHICAGO)
    assert w.is_open(at)
    assert w.closes_at(at) == dt.datetime(2026, 11, 26, 0, 0, tzinfo=CHICAGO)


def test_no_opening_within_the_horizon_is_none():
    every_day = {dt.date(2026, 11, 25) + dt.timedelta(days=n) for n in range(70)}
    assert window(closed=every_day).next_open(dt.datetime(2026, 11, 25, 9, 0, tzinfo=CHICAGO)) is None


def test_outreach_stops_at_closing_unless_the_window_runs_on_into_the_next_day():
    noon = utc(2026, 11, 25, 18, 0)  # 12:00 CST
    assert window().sending_stops_at(noon) == utc(2026, 11, 26, 2, 0)  # 20:00 CST
    assert window(start="00:00", end="24:00").sending_stops_at(noon) is None
    # 24-hour sending, but tomorrow is a closure: it stops at midnight
    assert window(start="00:00", end="24:00", closed=[dt.date(2026, 11, 26)]).sending_stops_at(noon) == utc(
        2026, 11, 26, 6, 0)
    assert window().sending_stops_at(utc(2026, 11, 26, 3, 0)) is None  # closed at 21:00
