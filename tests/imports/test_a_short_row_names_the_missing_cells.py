"""A row with fewer cells than the header is skipped with how many it has, not as an unexpected
error; the entry it names still counts as present for a full sync."""

import pytest

from offers.imports import import_cancellations_csv
from waitlist.imports import import_waitlist_csv
from waitlist.models import WaitlistEntry

from ._rows import HEADER, rows
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_a_short_waitlist_row_names_the_missing_cells_and_is_not_discharged(clinic):
    import_waitlist_csv(file=rows(1, 2))
    report = import_waitlist_csv(file=csv_bytes(HEADER, "WL-1,MRN-1,Pat,Number1,312-555-0101,written",
                                                "WL-2,MRN-2,Pat"), full_sync=True)
    short = report.rows[1]
    assert (short.outcome, short.external_id) == ("skipped", "WL-2")
    assert short.reason.startswith("3 fields, the header has 6"), report.lines()
    assert report.deactivated == [] and WaitlistEntry.objects.get(external_id="WL-2").active


def test_a_short_cancellation_row_names_the_missing_cells(clinic):
    report = import_cancellations_csv(file=csv_bytes("external_id,provider,location,start_at", "C-1,PRV-1"))
    assert report.rows[0].outcome == "skipped"
    assert report.rows[0].reason.startswith("2 fields, the header has 4"), report.lines()
