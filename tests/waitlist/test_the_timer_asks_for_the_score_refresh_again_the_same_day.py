"""The daily score refresh runs as a chain of worker tasks. A lost link (a worker killed mid-task, a
broker restart) left the rest of the list on yesterday's points until the next midnight: the timer
asks again every few hours the same day, and the walk writes only what is still stale."""

import datetime as dt

from offers.management.commands.run_timer import REFRESH_AGAIN_EVERY, refresh_due

DAY = dt.date(2026, 11, 26)


def test_the_first_tick_of_a_clinic_day_asks():
    assert refresh_due(today=DAY, asked_on=None, asked_at=0.0, started=5.0)
    assert refresh_due(today=DAY + dt.timedelta(days=1), asked_on=DAY, asked_at=100.0, started=101.0)


def test_the_timer_asks_again_after_a_few_hours_the_same_day():
    assert not refresh_due(today=DAY, asked_on=DAY, asked_at=100.0, started=100.0 + REFRESH_AGAIN_EVERY - 1)
    assert refresh_due(today=DAY, asked_on=DAY, asked_at=100.0, started=100.0 + REFRESH_AGAIN_EVERY)
