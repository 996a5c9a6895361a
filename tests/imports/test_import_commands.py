"""The management commands: a report on stdout, a progress bar on stderr for large files,
--dry-run, --full-sync, and a clear error for a file that cannot be read."""

import io

import pytest
from django.core.management import CommandError, call_command

from offers.models import Cancellation
from waitlist.models import WaitlistEntry

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db
HEADER = "external_id,patient_external_id,first_name,last_name,phone,consent_source"


def write(tmp_path, data: bytes):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_waitlist_prints_the_report_and_a_progress_bar(clinic, tmp_path):
    lines = [f"WL-{i},MRN-{i},Pat,N{i},312-555-{i:04d},written" for i in range(1000, 1250)]
    lines.append("WL-bad,MRN-bad,Pat,Bad,555,written")
    out, err = run("import_waitlist", write(tmp_path, csv_bytes(HEADER, *lines)))
    assert "251 rows: 250 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert "line 252 (WL-bad): skipped: phone:" in out
    assert "] 200/251 rows" in err and "] 251/251 rows" in err
    assert WaitlistEntry.objects.count() == 250


def test_import_waitlist_dry_run_and_full_sync(clinic, tmp_path):
    first = write(tmp_path, csv_bytes(HEADER, "WL-1,MRN-1,A,B,312-555-0101,written",
                                      "WL-2,MRN-2,C,D,312-555-0102,written"))
    out, _ = run("import_waitlist", first, "--dry-run")
    assert "dry run" in out and not WaitlistEntry.objects.exists()
    run("import_waitlist", first)
    second = tmp_path / "second.csv"
    second.write_bytes(csv_bytes(HEADER, "WL-1,MRN-1,A,B,312-555-0101,written"))
    out, _ = run("import_waitlist", str(second), "--full-sync")
    assert "entry (WL-2): deactivated: missing from the export" in out
    assert not WaitlistEntry.objects.get(external_id="WL-2").active


def test_import_waitlist_fails_loudly_on_a_missing_file_or_column(clinic, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_waitlist", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="Missing required column"):
        run("import_waitlist", write(tmp_path, csv_bytes("external_id,first_name", "x,y")))


def test_import_waitlist_records_the_named_user(clinic, tmp_path):
    from django.contrib.auth import get_user_model

    from core.models import AuditEvent

    user = get_user_model().objects.create_user("nightly")
    run("import_waitlist", write(tmp_path, csv_bytes(HEADER, "WL-1,MRN-1,A,B,312-555-0101,written")),
        "--user", "nightly")
    assert AuditEvent.objects.filter(action="entry.create", actor_user=user).exists()


def test_import_cancellations_command(clinic, tmp_path):
    path = write(tmp_path, csv_bytes("external_id,provider,location,start_at",
                                     "C-1,PRV-1,LOC-N,2026-11-26 14:00", "C-2,nobody,LOC-N,2026-11-26 15:00"))
    out, _ = run("import_cancellations", path)
    assert "1 created" in out and "line 3 (C-2): skipped: provider: unknown provider 'nobody'" in out
    assert Cancellation.objects.get().external_id == "C-1"
    out, _ = run("import_cancellations", path, "--dry-run")
    assert "unchanged" in out
