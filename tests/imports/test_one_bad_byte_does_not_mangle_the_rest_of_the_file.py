"""One line that is not UTF-8 is read as Windows-1252 on its own, with a warning naming it; the
correctly encoded lines around it keep their accents (they used to be re-read as Windows-1252 and
stored mangled, as an update)."""

import pytest

from waitlist.imports import import_waitlist_csv
from waitlist.models import Patient

from ._rows import HEADER
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_one_bad_byte_does_not_mangle_every_accented_name_in_the_file(clinic):
    good = csv_bytes(HEADER, "WL-1,MRN-1,José,Muñoz,312-555-0101,written", bom=False)
    import_waitlist_csv(file=good)
    nightly = good + b"WL-2,MRN-2,Ana,Caf\xe9,312-555-0102,written\r\n"
    report = import_waitlist_csv(file=nightly)
    patient = Patient.objects.get(external_id="MRN-1")
    assert (patient.first_name, patient.last_name) == ("José", "Muñoz")
    assert [r.external_id for r in report.unchanged] == ["WL-1"]
    assert Patient.objects.get(external_id="MRN-2").last_name == "Café"
    assert len(report.warnings) == 1 and "Line 3 is not UTF-8" in report.warnings[0] and "Windows-1252" in report.warnings[0]
