"""The console's CSV upload runs the same import services as the API: a dry run (the default) saves
nothing and shows the report; a real run saves and names the staff member in the audit trail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from waitlist.models import Patient, WaitlistEntry

pytestmark = pytest.mark.django_db
URL = "/admin/import/"

CSV = (
    "external_id,first_name,last_name,phone,consent_source,appointment_type\n"
    "EHR-1,Gil,Moreno,(312) 555-0177,written,follow-up\n"
    "EHR-2,Hana,Ito,not a phone,written,follow-up\n"
)


def _upload(client, *, dry_run: bool, kind="waitlist", body=CSV):
    data = {"kind": kind, "file": SimpleUploadedFile("export.csv", body.encode(), content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(URL, data)


def test_a_dry_run_reports_and_saves_nothing(desk, clinic):
    response = _upload(desk, dry_run=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "dry run: nothing was saved" in html
    assert "1 created" in html and "1 skipped" in html
    assert "line 3 (EHR-2): skipped" in html
    assert not Patient.objects.filter(external_id="EHR-1").exists()


def test_a_real_import_saves_the_good_rows_as_the_staff_member(desk, clinic):
    response = _upload(desk, dry_run=False)
    assert "1 created" in response.content.decode()
    entry = WaitlistEntry.objects.get(external_id="EHR-1")
    assert entry.patient.first_name == "Gil"
    assert AuditEvent.objects.filter(action="entry.create", object_id=str(entry.pk), actor_user=desk.user).exists()


def test_a_file_without_the_required_columns_is_refused_whole(desk, clinic):
    response = _upload(desk, dry_run=False, body="name,phone\nGil,3125550177\n")
    assert "The file was not imported" in response.content.decode()
    assert Patient.objects.count() == len(clinic.patients)


def test_full_sync_is_only_for_the_waitlist_export(desk, clinic):
    data = {"kind": "cancellations", "full_sync": "on",
            "file": SimpleUploadedFile("c.csv", b"external_id,provider,location,start_at\n")}
    response = desk.post(URL, data)
    assert "Full sync applies to the waitlist export only." in response.content.decode()


def test_staff_without_import_permissions_cannot_open_it(nobody):
    assert nobody.get(URL).status_code == 403
