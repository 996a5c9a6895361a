"""A provider who left stays on old entries' preferences; rows of the nightly export that do not
add that provider still update the entry instead of being skipped every night."""

import pytest

from waitlist.imports import import_waitlist_csv
from waitlist.models import WaitlistEntry

from ._rows import HEADER, rows
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_an_inactive_preferred_provider_does_not_skip_import_rows_without_a_providers_column(clinic):
    loc, prov, atype = clinic
    import_waitlist_csv(file=rows(1))
    entry = WaitlistEntry.objects.get(external_id="WL-1")
    entry.providers.set([prov])
    prov.active = False
    prov.save()
    report = import_waitlist_csv(file=csv_bytes(HEADER + ",urgent", "WL-1,MRN-1,Pat,Number1,312-555-0101,written,yes"))
    assert not report.skipped, report.lines()
    entry.refresh_from_db()
    assert entry.urgent


def test_naming_the_inactive_provider_again_is_not_an_error_but_adding_them_is(clinic):
    loc, prov, atype = clinic
    import_waitlist_csv(file=csv_bytes(HEADER + ",providers", "WL-1,MRN-1,Pat,Number1,312-555-0101,written,PRV-1"))
    prov.active = False
    prov.save()
    report = import_waitlist_csv(file=csv_bytes(HEADER + ",providers,urgent",
                                                "WL-1,MRN-1,Pat,Number1,312-555-0101,written,PRV-1,yes",
                                                "WL-2,MRN-2,Pat,Number2,312-555-0102,written,PRV-1,no"))
    assert [r.external_id for r in report.updated] == ["WL-1"], report.lines()
    assert [r.external_id for r in report.skipped] == ["WL-2"]
    assert "not active" in report.skipped[0].reason
