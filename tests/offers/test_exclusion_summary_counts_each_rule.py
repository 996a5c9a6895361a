"""An unfilled slot's `exclusion_summary` says how many active entries of its type each rule kept
out, one count per rule (an entry kept out by two rules counts under both), read in one query."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicbot.clock import now
from offers.selectors import exclusion_summary
from tests import factories as f
from waitlist.services import entry_deactivate

from ._support import CHICAGO, clinic, slot, waiting

pytestmark = pytest.mark.django_db


def test_each_rule_counts_the_entries_it_keeps_out(clock):
    cl = clinic()
    other_provider = f.provider(cl.location, types=[cl.atype], name="Dr. Other")
    other_location = f.location(name="Southside")
    c = slot(cl)
    atype = cl.atype
    waiting(2, atype=atype)  # eligible: counted nowhere
    waiting(1, atype=atype, visit_minutes=40)
    waiting(1, atype=atype, ready_from=dt.date(2026, 12, 1))
    waiting(1, atype=atype, min_notice_hours=48)
    waiting(1, atype=atype, earliest_time=dt.time(15, 0))
    waiting(1, atype=atype, weekdays_mask=1)  # Mondays only; the slot is a Thursday
    waiting(1, atype=atype, providers=[other_provider])
    waiting(1, atype=atype, locations=[other_location])
    # two rules at once: counted under both
    waiting(1, atype=atype, visit_minutes=40, current_appointment_at=dt.datetime(2026, 11, 26, 9, 0, tzinfo=CHICAGO))
    f.entry(f.patient(consent=False), atype=atype)
    waiting(1, atype=f.appointment_type(code="procedure", minutes=30), visit_minutes=40)  # another type: not counted

    with CaptureQueriesContext(connection) as queries:
        summary = exclusion_summary(cancellation=c, at=now())

    assert summary == {
        "not ready yet": 1,
        "visit longer than slot": 2,
        "no consent / opted out / cannot text": 1,
        "current appointment is sooner": 1,
        "needs more notice": 1,
        "time of day": 1,
        "weekday": 1,
        "provider kind": 0,
        "provider preference": 1,
        "location preference": 1,
        "already offered this slot": 0,
    }
    assert len(queries) == 1


def test_a_type_with_nobody_on_the_list_counts_zero_for_every_rule(clock):
    # the counts are one grouped row, and a type without active entries has no group: no row
    cl = clinic()
    c = slot(cl)
    removed = f.entry(f.patient(), atype=cl.atype)
    entry_deactivate(entry_id=removed.pk, reason="removed", actor=f.STAFF)
    waiting(2, atype=f.appointment_type(code="procedure", minutes=30))  # another type

    summary = exclusion_summary(cancellation=c, at=now())

    assert set(summary) == {
        "not ready yet", "visit longer than slot", "no consent / opted out / cannot text",
        "current appointment is sooner", "needs more notice", "time of day", "weekday", "provider kind",
        "provider preference", "location preference", "already offered this slot",
    }
    assert set(summary.values()) == {0}
