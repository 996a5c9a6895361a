"""`--dry-run` changes nothing; `--full-sync` discharges imported entries missing from the export
(and only those), reports them, and refuses an export that looks truncated."""

import pytest

from messaging.models import Message, PhoneNumber
from tests import factories as f
from waitlist.imports import import_waitlist_csv
from waitlist.models import Patient, WaitlistEntry

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db
HEADER = "external_id,patient_external_id,first_name,last_name,phone,consent_source"


def rows(*ids: int) -> bytes:
    return csv_bytes(HEADER, *(f"WL-{i},MRN-{i},Pat,Number{i},312-555-01{i:02d},written" for i in ids))


def test_a_dry_run_reports_but_stores_and_sends_nothing(clinic, settle, sms):
    report = import_waitlist_csv(file=rows(1, 2, 3), dry_run=True)
    settle()
    assert len(report.created) == 3 and report.dry_run
    assert "dry run" in report.summary()
    assert not WaitlistEntry.objects.exists() and not Patient.objects.exists()
    assert not PhoneNumber.objects.exists() and not Message.objects.exists()
    assert sms.sent == []


def test_the_real_run_sends_each_new_number_its_welcome(clinic, settle, sms):
    import_waitlist_csv(file=rows(1, 2))
    settle()
    assert sorted(s.to for s in sms.sent) == ["+13125550101", "+13125550102"]


def test_full_sync_discharges_entries_missing_from_the_export(clinic):
    import_waitlist_csv(file=rows(*range(1, 6)))
    manual = f.entry(f.patient())  # entered by staff, never in the export
    report = import_waitlist_csv(file=rows(1, 2, 4, 5), full_sync=True)
    gone = WaitlistEntry.objects.get(external_id="WL-3")
    assert (gone.active, gone.inactive_reason) == (False, "discharged")
    assert [(r.outcome, r.external_id) for r in report.deactivated] == [("deactivated", "WL-3")]
    assert "1 deactivated" in report.summary()
    manual.refresh_from_db()
    assert manual.active
    assert WaitlistEntry.objects.filter(active=True).count() == 5


def test_a_discharged_entry_back_in_the_export_is_reactivated(clinic):
    import_waitlist_csv(file=rows(1, 2, 3))
    import_waitlist_csv(file=rows(1, 2), full_sync=True)
    report = import_waitlist_csv(file=rows(1, 2, 3), full_sync=True)
    assert WaitlistEntry.objects.get(external_id="WL-3").active
    assert [r.reason for r in report.updated] == ["reactivated: back in the export"]


def test_a_fulfilled_entry_is_not_reactivated_by_the_export(clinic):
    import_waitlist_csv(file=rows(1))
    entry = WaitlistEntry.objects.get(external_id="WL-1")
    WaitlistEntry.objects.filter(pk=entry.pk).update(active=False, inactive_reason="fulfilled")
    report = import_waitlist_csv(file=rows(1))
    assert not WaitlistEntry.objects.get(pk=entry.pk).active
    assert "fulfilled" in report.unchanged[0].reason


def test_a_full_sync_dry_run_lists_who_would_go_and_discharges_nobody(clinic):
    import_waitlist_csv(file=rows(1, 2, 3))
    report = import_waitlist_csv(file=rows(1, 2), full_sync=True, dry_run=True)
    assert [r.external_id for r in report.deactivated] == ["WL-3"]
    assert WaitlistEntry.objects.filter(active=True).count() == 3


def test_full_sync_refuses_an_export_that_looks_truncated(clinic):
    import_waitlist_csv(file=rows(*range(1, 31)))
    report = import_waitlist_csv(file=rows(1, 2, 3), full_sync=True)
    assert not report.ok and "truncated" in report.errors[0]
    assert WaitlistEntry.objects.filter(active=True).count() == 30
    forced = import_waitlist_csv(file=rows(1, 2, 3), full_sync=True, max_discharge_share=None)
    assert len(forced.deactivated) == 27


def test_full_sync_refuses_a_file_with_no_rows(clinic):
    import_waitlist_csv(file=rows(1, 2))
    report = import_waitlist_csv(file=csv_bytes(HEADER), full_sync=True)
    assert not report.ok
    assert WaitlistEntry.objects.filter(active=True).count() == 2


def test_rows_with_errors_are_not_discharged(clinic):
    """A row the export still lists but that failed validation is not 'missing'."""
    import_waitlist_csv(file=rows(1, 2))
    bad = csv_bytes(HEADER, "WL-1,MRN-1,Pat,Number1,312-555-0101,written", "WL-2,MRN-2,Pat,Number2,555,written")
    report = import_waitlist_csv(file=bad, full_sync=True)
    assert [r.external_id for r in report.skipped] == ["WL-2"]
    assert report.deactivated == []
    assert WaitlistEntry.objects.get(external_id="WL-2").active
