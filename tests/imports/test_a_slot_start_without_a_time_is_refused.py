"""A freed slot's start given as a date alone is refused, not read as a midnight slot (the API
refuses it too). Dates stay fine where a date is all that is asked for."""

import pytest

from offers.imports import import_cancellations_csv
from offers.models import Cancellation
from waitlist.imports import import_waitlist_csv

from ._rows import HEADER
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start", ["2026-11-30", "20261130"])
def test_a_slot_start_without_a_time_is_refused_not_read_as_midnight(clinic, start):
    data = csv_bytes("external_id,provider,location,start_at", f"C-1,PRV-1,LOC-N,{start}")
    report = import_cancellations_csv(file=data)
    assert report.skipped and not Cancellation.objects.exists(), report.lines()
    assert "start_at" in report.skipped[0].reason and "time" in report.skipped[0].reason


def test_a_current_appointment_without_a_time_is_refused_but_a_consent_date_is_not(clinic):
    data = csv_bytes(HEADER + ",consent_at,current_appointment_at",
                     "WL-1,MRN-1,Pat,One,312-555-0101,written,,2027-01-05",
                     "WL-2,MRN-2,Pat,Two,312-555-0102,written,2026-11-01,")
    report = import_waitlist_csv(file=data)
    assert [r.external_id for r in report.skipped] == ["WL-1"], report.lines()
    assert "current_appointment_at" in report.skipped[0].reason
    assert [r.external_id for r in report.created] == ["WL-2"]
