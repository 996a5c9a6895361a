import datetime as dt

import pytest

from tests import factories as f
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def test_refresh_skips_an_entry_changed_by_staff_while_it_ran(clock, monkeypatch):
    entry = f.entry(f.patient(), joined_at=clock() - dt.timedelta(days=95))
    real = waitlist._refresh_priority_fields
    done = {}

    def staff_marks_urgent_meanwhile(e, today):
        # the refresh has read the row; a front-desk change lands before its write
        if e.pk == entry.pk and not done:
            done["yes"] = True
            waitlist.entry_mark_urgent(entry_id=entry.pk, actor=f.STAFF)
        return real(e, today)

    monkeypatch.setattr(waitlist, "_refresh_priority_fields", staff_marks_urgent_meanwhile)
    # a later day, so the time-on-list points change and the refresh wants to write
    waitlist.priorities_refresh(today=(clock() + dt.timedelta(days=40)).date())
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    assert entry.urgent
    assert entry.priority_breakdown["urgent"] == 30
    assert entry.priority == entry.priority_breakdown["total"]
