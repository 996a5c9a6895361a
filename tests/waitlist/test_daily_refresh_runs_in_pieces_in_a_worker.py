"""On a large waitlist the daily score refresh takes minutes; the timer must keep expiring holds
meanwhile and a worker task must finish inside its timeout. So the timer only asks for it, and the
worker walks the waitlist in bounded pieces, each queueing the next."""

import datetime as dt

import pytest
from django.core.management import call_command
from django_q.models import OrmQ

from clinicbot.clock import now
from tests import factories as f
from waitlist import services as waitlist
from waitlist import tasks
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def _five_entries_a_day_behind():
    joined = now() - dt.timedelta(days=29)
    return [f.entry(f.patient(), joined_at=joined) for _ in range(5)]


def test_a_piece_stops_at_its_row_limit_and_says_where_to_go_on(clock):
    entries = _five_entries_a_day_behind()
    clock.advance(days=1)
    changed, after = waitlist.priorities_refresh_chunk(today=now().date(), after=0, rows=2, batch=1)
    assert (changed, after) == (2, entries[1].pk)
    changed, after = waitlist.priorities_refresh_chunk(today=now().date(), after=after, rows=10)
    assert (changed, after) == (3, None)


def test_the_task_walks_the_whole_waitlist_piece_by_piece(clock, monkeypatch, settings, settle):
    settings.TASKS_EAGER = True  # each piece's follow-up runs at once, as a worker would run it
    monkeypatch.setattr(tasks, "REFRESH_ROWS", 2)
    entries = _five_entries_a_day_behind()
    clock.advance(days=1)
    tasks.priorities_refresh_task(now().date().isoformat())
    settle()
    assert set(WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries])
               .values_list("priority_breakdown__time_on_list", flat=True)) == {1}


def test_the_timer_queues_the_refresh_instead_of_running_it(clock, settings):
    settings.TASKS_EAGER = False
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "orm": "default"}
    (e,) = [f.entry(f.patient(), joined_at=now() - dt.timedelta(days=29))]
    clock.advance(days=1)
    call_command("run_timer", "--once")
    # the score is untouched by the timer itself; the refresh waits in the queue for a worker
    assert WaitlistEntry.objects.get(pk=e.pk).priority_breakdown["time_on_list"] == 0
    queued = [task for task in OrmQ.objects.all() if task.func() == tasks.REFRESH_TASK]
    assert len(queued) == 1 and queued[0].task["args"] == (now().date().isoformat(), 0)
