"""Cancellations from a CSV: local times at the location, providers by external id or name,
idempotent, and an offering slot that would move is skipped with the 409 reason."""

import datetime as dt

import pytest

from offers.imports import import_cancellations_csv
from offers.models import Cancellation
from tests.conftest import CHICAGO
from tests.offers._support import waiting

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db
HEADER = "external_id,provider,location,start_at,duration_minutes,appointment_type,reason"


def test_rows_land_with_local_times_and_bad_rows_are_named(clinic):
    report = import_cancellations_csv(file=csv_bytes(
        HEADER,
        "C-1,PRV-1,LOC-N,2026-11-26 14:00,30,follow-up,sick",
        "C-2,Dr. Ada Stone,Northside Clinic,11/26/2026 3:30 PM,,,",
        "C-3,PRV-1,LOC-N,2026-11-26T16:00:00-05:00,,,",
        "C-4,PRV-404,LOC-N,2026-11-26 14:00,,,",
        "C-5,PRV-1,LOC-N,2026-11-24 09:00,,,",
        "C-6,PRV-1,LOC-N,tomorrow,,,",
        "C-7,PRV-1,LOC-N,2026-11-26 14:00,,,",
        "C-8,PRV-1,LOC-N,2026-11-26 17:00,,physical,",
    ))
    got = {c.external_id: c for c in Cancellation.objects.all()}
    assert sorted(got) == ["C-1", "C-2", "C-3"]
    assert got["C-1"].start_at == dt.datetime(2026, 11, 26, 14, 0, tzinfo=CHICAGO)
    assert got["C-1"].duration_minutes == 30 and got["C-1"].reason == "sick"
    assert got["C-2"].start_at == dt.datetime(2026, 11, 26, 15, 30, tzinfo=CHICAGO)
    assert got["C-3"].start_at == dt.datetime(2026, 11, 26, 15, 0, tzinfo=CHICAGO)
    skipped = {r.external_id: r.reason for r in report.skipped}
    assert "unknown provider 'PRV-404'" in skipped["C-4"]
    assert "past" in skipped["C-5"]
    assert "not a date and time" in skipped["C-6"]
    assert "already logged" in skipped["C-7"]
    assert "appointment_type" in skipped["C-8"]


def test_a_time_that_daylight_saving_skips_is_refused_not_guessed(clinic, clock):
    clock.set(dt.datetime(2027, 3, 1, 9, 0, tzinfo=CHICAGO))
    report = import_cancellations_csv(file=csv_bytes(HEADER, "C-1,PRV-1,LOC-N,2027-03-14 02:30,,,"))
    assert "daylight saving" in report.skipped[0].reason


def test_importing_twice_is_one_slot_each(clinic):
    data = csv_bytes(HEADER, "C-1,PRV-1,LOC-N,2026-11-26 14:00,,,")
    import_cancellations_csv(file=data)
    again = import_cancellations_csv(file=data)
    assert [r.outcome for r in again.rows] == ["unchanged"]
    assert Cancellation.objects.count() == 1


def test_a_moved_slot_that_is_already_offering_is_skipped_with_the_reason(clinic, settle):
    waiting(2)
    import_cancellations_csv(file=csv_bytes(HEADER, "C-1,PRV-1,LOC-N,2026-11-26 14:00,,,"))
    settle()
    assert Cancellation.objects.get().status == "offering"
    report = import_cancellations_csv(file=csv_bytes(HEADER, "C-1,PRV-1,LOC-N,2026-11-26 16:00,,,"))
    assert "Withdraw it" in report.skipped[0].reason
    assert Cancellation.objects.get().start_at.astimezone(CHICAGO).hour == 14


def test_a_dry_run_logs_nothing(clinic, settle, sms):
    waiting(2)
    report = import_cancellations_csv(file=csv_bytes(HEADER, "C-1,PRV-1,LOC-N,2026-11-26 14:00,,,"), dry_run=True)
    settle()
    assert [r.outcome for r in report.rows] == ["created"]
    assert not Cancellation.objects.exists() and sms.sent == []
