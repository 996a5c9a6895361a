"""List cells are split on `;` and `|` (docs/API.md): a provider named "Lee, Ana" is one provider,
not two unknown ones."""

import pytest

from tests import factories as f
from waitlist.imports import import_waitlist_csv
from waitlist.models import WaitlistEntry

from ._rows import HEADER
from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_a_provider_name_with_a_comma_is_one_provider(clinic):
    loc, prov, atype = clinic
    lee = f.provider(loc, types=[atype], name="Lee, Ana")
    data = csv_bytes(HEADER + ",providers", 'WL-1,MRN-1,Pat,Number1,312-555-0101,written,"Lee, Ana|PRV-1"')
    report = import_waitlist_csv(file=data)
    assert len(report.created) == 1, report.lines()
    entry = WaitlistEntry.objects.get(external_id="WL-1")
    assert set(entry.providers.all()) == {lee, prov}
