"""An entry's preferred providers and locations are links, not columns: a change of only those used
to leave an audit record that showed no change at all."""

import pytest

from core.models import AuditEvent
from tests import factories as f
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def test_moving_an_entrys_preference_to_another_provider_records_both(clock):
    loc = f.location()
    first, second = f.provider(loc), f.provider(loc)
    entry = f.entry(f.patient(), providers=[first])

    waitlist.entry_save(actor=f.STAFF, patient=entry.patient, entry=WaitlistEntry.objects.get(pk=entry.pk),
                        providers=[second])

    event = AuditEvent.objects.filter(action="entry.update", object_id=str(entry.pk)).latest("pk")
    assert event.before["providers"] == [first.pk] and event.after["providers"] == [second.pk]


def test_adding_a_preferred_location_is_recorded(clock):
    loc = f.location()
    entry = f.entry(f.patient())

    waitlist.entry_save(actor=f.STAFF, patient=entry.patient, entry=WaitlistEntry.objects.get(pk=entry.pk),
                        locations=[loc])

    event = AuditEvent.objects.filter(action="entry.update", object_id=str(entry.pk)).latest("pk")
    assert event.before["locations"] == [] and event.after["locations"] == [loc.pk]
