"""A messy waitlist export (UTF-8 BOM, Windows line endings, blank lines, a duplicate row, a bad
phone, an unknown provider, no consent): the good rows land, each rejected row is named with why."""

import pytest

from core.models import AuditEvent
from messaging.models import PhoneNumber
from waitlist.imports import import_waitlist_csv
from waitlist.models import Patient, WaitlistEntry

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ("External ID,Patient External ID,First Name,Last Name,Phone,Language,Consent Source,Consent At,"
          "Appointment Type,Visit Minutes,Urgent,Providers,Weekdays,Earliest Time,Latest Time")
MESSY = csv_bytes(
    HEADER,
    "WL-1,MRN-1,Ana,Lopez,(312) 555-0101,es,written,2026-11-01,follow-up,20,yes,PRV-1,Mon;Wed,08:00,12:00",
    "",
    "WL-2,MRN-2,Ben,Okafor,312-555-0102,en,verbal,,,,no,,,,",
    "WL-2,MRN-2,Ben,Okafor,312-555-0102,en,verbal,,,,no,,,,",
    "WL-3,MRN-3,Cy,Park,555,en,written,,,,,,,,",
    "WL-4,MRN-4,Dee,Ng,312-555-0104,en,written,,,,,Dr. Nobody,,,",
    "WL-5,MRN-5,Eve,Adams,312-555-0105,en,,,,,,,,,",
    ",,,,,,,,,,,,,,",
    "WL-6,MRN-6,Fay,Ito,312-555-0106,en,portal,,,,,Dr. Ada Stone,,15:00,09:00",
    "WL-7,MRN-7,Gus,Moe,312-555-0107,en,portal,,,,,,Funday,,",
)


@pytest.fixture
def report(clinic):
    return import_waitlist_csv(file=MESSY)


def test_the_good_rows_land(report):
    assert sorted(WaitlistEntry.objects.values_list("external_id", flat=True)) == ["WL-1", "WL-2"]
    ana = WaitlistEntry.objects.get(external_id="WL-1")
    assert (ana.patient.first_name, ana.patient.language, ana.patient.phone.e164) == ("Ana", "es", "+13125550101")
    assert ana.urgent and ana.visit_minutes == 20 and ana.weekdays_mask == 0b101
    assert list(ana.providers.values_list("external_id", flat=True)) == ["PRV-1"]
    assert PhoneNumber.objects.get(e164="+13125550101").consent_source == "written"
    assert [r.external_id for r in report.created] == ["WL-1", "WL-2"]


def test_each_rejected_row_is_named_with_its_line_and_reason(report):
    skipped = {r.line: r.reason for r in report.skipped}
    assert set(skipped) == {5, 6, 7, 8, 10, 11}
    assert "duplicate of line 4" in skipped[5]
    assert skipped[6].startswith("phone:")
    assert "unknown provider 'Dr. Nobody'" in skipped[7]
    assert "no SMS consent" in skipped[8]
    assert skipped[10].startswith("latest_time:")
    assert "Funday" in skipped[11]
    text = "\n".join(report.lines())
    assert "line 6 (WL-3): skipped: phone:" in text


def test_rejected_rows_leave_nothing_behind(report):
    # the bad-phone and unknown-provider rows rolled back their patient too (savepoint per row)
    assert set(Patient.objects.values_list("external_id", flat=True)) == {"MRN-1", "MRN-2"}


def test_the_report_counts_add_up(report):
    assert report.counts() == {"rows": 8, "created": 2, "updated": 0, "unchanged": 0, "skipped": 6,
                               "deactivated": 0}
    assert report.ok


def test_importing_the_same_file_again_changes_nothing(report):
    audits = AuditEvent.objects.count()
    again = import_waitlist_csv(file=MESSY)
    assert [r.external_id for r in again.unchanged] == ["WL-1", "WL-2"]
    assert not again.created and not again.updated
    assert AuditEvent.objects.count() == audits
    assert WaitlistEntry.objects.count() == 2


def test_a_changed_row_updates_its_entry(report):
    changed = MESSY.replace(b"WL-2,MRN-2,Ben,Okafor,312-555-0102,en,verbal,,,,no", b"WL-2,MRN-2,Ben,Okafor,312-555-0102,en,verbal,,,45,yes")
    again = import_waitlist_csv(file=changed)
    assert [r.external_id for r in again.updated] == ["WL-2"]
    entry = WaitlistEntry.objects.get(external_id="WL-2")
    assert entry.visit_minutes == 45 and entry.urgent
    assert AuditEvent.objects.filter(action="entry.update", object_id=str(entry.pk)).exists()


def test_imports_are_audited_as_the_import(report):
    event = AuditEvent.objects.get(action="entry.create", object_id=str(WaitlistEntry.objects.get(external_id="WL-1").pk))
    assert event.actor_kind == "api" and event.actor_label == "csv-import"


def test_unix_line_endings_and_no_bom_read_the_same(clinic):
    plain = MESSY.replace(b"\xef\xbb\xbf", b"").replace(b"\r\n", b"\n")
    report = import_waitlist_csv(file=plain)
    assert [r.external_id for r in report.created] == ["WL-1", "WL-2"]


def test_a_file_missing_a_required_column_imports_nothing(clinic):
    report = import_waitlist_csv(file=csv_bytes("External ID,First Name,Last Name", "WL-1,A,B"))
    assert not report.ok and "phone" in report.errors[0]
    assert not WaitlistEntry.objects.exists()


def test_an_empty_file_is_an_error_not_a_crash(clinic):
    assert import_waitlist_csv(file=b"").errors == ["The file is empty."]


def test_a_windows_1252_file_is_read_with_a_warning(clinic):
    data = "external_id,first_name,last_name,phone,consent_source\r\nWL-9,José,Núñez,312-555-0109,written\r\n"
    report = import_waitlist_csv(file=data.encode("cp1252"))
    assert report.warnings and "Windows-1252" in report.warnings[0]
    assert Patient.objects.get(external_id=None, first_name="José").last_name == "Núñez"


def test_a_huge_field_is_a_rejected_row(clinic):
    huge = "x" * 20_000
    report = import_waitlist_csv(file=csv_bytes(
        "external_id,first_name,last_name,phone,consent_source",
        f"WL-1,{huge},B,312-555-0101,written",
        "WL-2,Ok,Row,312-555-0102,written",
    ))
    assert [r.external_id for r in report.skipped] == ["WL-1"]
    assert [r.external_id for r in report.created] == ["WL-2"]


def test_the_upload_accepts_a_django_uploaded_file(clinic):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("export.csv", MESSY, content_type="text/csv")
    report = import_waitlist_csv(file=upload)
    assert len(report.created) == 2
