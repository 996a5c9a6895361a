"""A front-desk edit (saved from the copy its form read) and the engine filling the same entry land
at the same moment on PostgreSQL: whichever commits last, the entry ends filled and keeps the edit."""

import pytest

from tests import factories as f
from tests.offers._support import run_together
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20


def test_a_fill_racing_an_edit_from_an_older_copy_stays_filled(clock):
    patient = f.patient()
    for n in range(ROUNDS):
        entry = f.entry(patient, external_id=f"WL-E{n}")
        stale = WaitlistEntry.objects.select_related("patient").get(pk=entry.pk)

        def fill(pk=entry.pk):
            return waitlist.entry_deactivate(entry_id=pk, reason=WaitlistEntry.InactiveReason.FULFILLED,
                                             actor=f.STAFF)

        def edit(copy=stale, n=n):
            return waitlist.entry_save(actor=f.STAFF, patient=copy.patient, entry=copy, visit_minutes=30 + n)[1]

        filled, created = run_together(fill, edit)
        assert filled is True and created is False, (filled, created)
        entry.refresh_from_db()
        assert (entry.active, entry.inactive_reason, entry.visit_minutes) == (
            False, WaitlistEntry.InactiveReason.FULFILLED, 30 + n), f"round {n}"
