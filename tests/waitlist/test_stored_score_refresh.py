"""The stored score is what selection reads, so it must never be stale or missing: refreshed on
every change, on re-activation, and by the daily refresh (its time-based parts move by the day)."""

import datetime as dt

import pytest

from clinicbot.clock import now
from core.actors import Actor
from tests import factories as f
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "test-staff")


def test_a_new_entry_has_its_score_at_once(clock):
    e = f.entry(f.patient(), urgent=True)
    assert (e.priority, e.priority_on) == (30 + 20, dt.date(2026, 11, 25))
    assert WaitlistEntry.objects.get(pk=e.pk).priority_breakdown["total"] == 50


def test_a_change_refreshes_the_score(clock):
    e = f.entry(f.patient())
    waitlist.entry_boost(entry_id=e.pk, amount=15, reason="surgeon asked", actor=STAFF)
    assert WaitlistEntry.objects.get(pk=e.pk).priority == 20 + 15
    waitlist.entry_mark_urgent(entry_id=e.pk, actor=STAFF)
    assert WaitlistEntry.objects.get(pk=e.pk).priority == 20 + 15 + 30
    e = WaitlistEntry.objects.get(pk=e.pk)
    waitlist.entry_save(actor=STAFF, patient=e.patient, entry=e, current_appointment_at=now() + dt.timedelta(days=40))
    assert WaitlistEntry.objects.get(pk=e.pk).priority == 5 + 15 + 30


def test_the_daily_refresh_moves_the_time_based_parts(clock):
    joined = now() - dt.timedelta(days=29)
    e = f.entry(f.patient(), joined_at=joined, current_appointment_at=now() + dt.timedelta(days=180, hours=2))
    assert (e.priority_breakdown["time_on_list"], e.priority_breakdown["current_appointment"]) == (0, 20)
    clock.advance(days=1)
    assert waitlist.priorities_refresh() == 1
    e.refresh_from_db()
    assert (e.priority_breakdown["time_on_list"], e.priority_breakdown["current_appointment"]) == (1, 10)
    assert e.priority == 11
    assert e.priority_on == dt.date(2026, 11, 26)
    # a second run the same day has nothing to do
    assert waitlist.priorities_refresh() == 0


def test_reactivation_brings_a_stale_score_up_to_today(clock):
    e = f.entry(f.patient(), joined_at=now() - dt.timedelta(days=25))
    waitlist.entry_deactivate(entry_id=e.pk, reason="unresponsive", actor=STAFF)
    clock.advance(days=10)
    waitlist.priorities_refresh()  # skips inactive entries
    assert WaitlistEntry.objects.get(pk=e.pk).priority_breakdown["time_on_list"] == 0
    waitlist.entry_reactivate(entry_id=e.pk, actor=STAFF)
    e.refresh_from_db()
    assert (e.priority_breakdown["time_on_list"], e.priority_on) == (1, dt.date(2026, 12, 5))
