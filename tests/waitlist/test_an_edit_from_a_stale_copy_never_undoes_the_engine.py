"""Staff, the API and imports edit an entry from a copy read earlier (a form, a lookup, an import
row). Meanwhile the engine may fill the entry, count a silence or note a caps bound. The edit used to
save the whole stale copy, so a patient who had just booked came back to the waitlist."""

import datetime as dt

import pytest

from tests import factories as f
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def test_a_filled_entry_stays_filled_after_an_edit_from_an_older_copy(clock):
    entry = f.entry(f.patient())
    stale = WaitlistEntry.objects.get(pk=entry.pk)
    assert waitlist.entry_deactivate(entry_id=entry.pk, reason=WaitlistEntry.InactiveReason.FULFILLED, actor=f.STAFF)

    waitlist.entry_save(actor=f.STAFF, patient=stale.patient, entry=stale, visit_minutes=40)

    entry.refresh_from_db()
    assert (entry.active, entry.inactive_reason) == (False, WaitlistEntry.InactiveReason.FULFILLED)
    assert entry.visit_minutes == 40


def test_the_engines_counts_and_caps_bound_survive_an_edit_from_an_older_copy(clock):
    entry = f.entry(f.patient())
    stale = WaitlistEntry.objects.get(pk=entry.pk)
    bound = clock() + dt.timedelta(days=1)
    WaitlistEntry.objects.filter(pk=entry.pk).update(consecutive_no_reply=2, offer_capped_until=bound,
                                                     offer_caps_rule="1/3")

    waitlist.entry_save(actor=f.STAFF, patient=stale.patient, entry=stale, urgent=True)

    entry.refresh_from_db()
    assert (entry.consecutive_no_reply, entry.offer_capped_until, entry.offer_caps_rule) == (2, bound, "1/3")
    assert entry.urgent and entry.priority_breakdown["urgent"] == 30


def test_moving_an_entry_to_another_number_drops_the_old_numbers_caps_bound(clock):
    entry = f.entry(f.patient())
    WaitlistEntry.objects.filter(pk=entry.pk).update(offer_capped_until=clock() + dt.timedelta(days=1),
                                                     offer_caps_rule="1/3")
    other = f.patient()

    waitlist.entry_save(actor=f.STAFF, patient=other, entry=WaitlistEntry.objects.get(pk=entry.pk))

    entry.refresh_from_db()
    assert (entry.patient_id, entry.offer_capped_until, entry.offer_caps_rule) == (other.pk, None, "")
