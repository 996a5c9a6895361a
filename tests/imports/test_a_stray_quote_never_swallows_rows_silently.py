"""A quote the EHR left unclosed makes a CSV reader run the following lines into one field. Those
lines are reported as skipped, each by its number, and a full sync is refused: the entries on them
would otherwise look missing from the export and be discharged."""

import pytest

from waitlist.imports import import_waitlist_csv
from waitlist.models import WaitlistEntry

from ._rows import HEADER, rows
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

STRAY = csv_bytes(
    HEADER,
    'WL-1,MRN-1,"Pat,Number1,312-555-0101,written',
    "WL-2,MRN-2,Pat,Number2,312-555-0102,written",
    'WL-3,MRN-3,Pat "Bo",Number3,312-555-0103,written',
    "WL-4,MRN-4,Pat,Number4,312-555-0104,written",
)


def test_a_stray_quote_does_not_silently_swallow_rows_and_discharge_them(clinic):
    import_waitlist_csv(file=rows(1, 2, 3, 4))
    report = import_waitlist_csv(file=STRAY, full_sync=True)
    assert len(report.rows) == 4, report.lines()
    assert WaitlistEntry.objects.filter(active=True).count() == 4, report.lines()
    assert not report.ok and "Full sync refused" in report.errors[0]


def test_each_swallowed_line_is_named(clinic):
    report = import_waitlist_csv(file=STRAY)
    skipped = {r.line: r.reason for r in report.skipped}
    assert set(skipped) == {2, 3, 4}, report.lines()
    assert "lines 2-4" in skipped[2] and "quote" in skipped[2]
    assert "line 2" in skipped[3] and "line 2" in skipped[4]
    assert [r.external_id for r in report.created] == ["WL-4"]
