"""The truncated-export guard holds for a small clinic too: a full sync that would discharge more
than half of the imported entries is refused at any size (one missing entry is always allowed)."""

import pytest

from waitlist.imports import import_waitlist_csv
from waitlist.models import WaitlistEntry

from ._rows import rows

pytestmark = pytest.mark.django_db


def test_full_sync_refuses_to_discharge_more_than_half_of_a_small_list(clinic):
    import_waitlist_csv(file=rows(1, 2, 3, 4, 5, 6))
    report = import_waitlist_csv(file=rows(1), full_sync=True)
    assert not report.ok and "truncated" in report.errors[0], report.lines()
    assert WaitlistEntry.objects.filter(active=True).count() == 6
    report = import_waitlist_csv(file=rows(1, 2, 3, 4, 5), full_sync=True)
    assert report.ok and [r.external_id for r in report.deactivated] == ["WL-6"]
