"""The ranking score: the reference formula by default, weights from settings, and a breakdown
that always adds up to the total."""

import datetime as dt
import zoneinfo

import pytest

from waitlist.priority import compute

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TODAY = dt.date(2026, 11, 25)
JOINED_TODAY = dt.datetime(2026, 11, 25, 9, 0, tzinfo=CHICAGO)


def score(**kw):
    args = dict(urgent=False, manual_boost=0, current_appointment_at=None, joined_at=JOINED_TODAY, today=TODAY)
    args.update(kw)
    return compute(**args)


def appt_in(days: int) -> dt.datetime:
    return dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(9, 0), tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("days", "points"),
    [(None, 20), (400, 20), (180, 20), (179, 10), (90, 10), (89, 5), (30, 5), (29, 0), (1, 0)],
)
def test_a_later_current_appointment_earns_more(days, points):
    total, parts = score(current_appointment_at=None if days is None else appt_in(days))
    assert parts["current_appointment"] == points
    assert total == points


@pytest.mark.parametrize(("waited", "points"), [(0, 0), (29, 0), (30, 1), (89, 2), (300, 10), (900, 10)])
def test_time_on_the_list_earns_a_point_per_30_days_up_to_ten(waited, points):
    joined = JOINED_TODAY - dt.timedelta(days=waited)
    _, parts = score(joined_at=joined, current_appointment_at=appt_in(5))
    assert (parts["days_on_list"], parts["time_on_list"]) == (waited, points)


def test_urgent_and_manual_boost_add_their_points():
    total, parts = score(urgent=True, manual_boost=25, current_appointment_at=appt_in(5))
    assert (parts["urgent"], parts["manual_boost"], total) == (30, 25, 55)


@pytest.mark.parametrize("urgent", [False, True])
@pytest.mark.parametrize("boost", [0, 17, 40])
@pytest.mark.parametrize("days", [None, 10, 45, 120, 200])
@pytest.mark.parametrize("waited", [0, 45, 400])
def test_the_breakdown_adds_up_to_the_total(urgent, boost, days, waited):
    total, parts = score(
        urgent=urgent, manual_boost=boost, current_appointment_at=None if days is None else appt_in(days),
        joined_at=JOINED_TODAY - dt.timedelta(days=waited),
    )
    assert parts["urgent"] + parts["manual_boost"] + parts["current_appointment"] + parts["time_on_list"] == total
    assert parts["total"] == total


def test_weights_come_from_settings(settings):
    settings.PRIORITY_WEIGHTS = {**settings.PRIORITY_WEIGHTS, "urgent": 50, "appt_180_plus": 0, "per_30_days": 3,
                                 "days_cap": 6}
    total, parts = score(urgent=True, joined_at=JOINED_TODAY - dt.timedelta(days=95))
    assert (parts["urgent"], parts["current_appointment"], parts["time_on_list"]) == (50, 0, 6)
    assert total == 56


def test_dates_are_the_clinics_dates_not_utcs():
    # 19:30 Chicago on the 30th of the range is already the next day in UTC
    evening = dt.datetime.combine(TODAY + dt.timedelta(days=29), dt.time(19, 30), tzinfo=CHICAGO)
    _, parts = score(current_appointment_at=evening)
    assert parts["current_appointment"] == 0  # 29 days away where the clinic is
    joined_evening = dt.datetime(2026, 10, 26, 19, 30, tzinfo=CHICAGO)  # 30 days ago locally, 29 in UTC
    _, parts = score(joined_at=joined_evening, current_appointment_at=appt_in(5))
    assert parts["days_on_list"] == 30
