"""A provider who left stays on old entries' preferences: a change that does not touch them (an
urgent flag, a visit length) is not refused because of them."""

import pytest

from tests import factories as f

from .conftest import API

pytestmark = pytest.mark.django_db


def test_an_inactive_preferred_provider_does_not_block_unrelated_changes(integration, clinic):
    loc, prov, atype = clinic
    entry = f.entry(f.patient(), providers=[prov], locations=[loc])
    assert integration.patch(API + f"providers/{prov.pk}/", {"active": False}, format="json").status_code == 200
    response = integration.patch(API + f"waitlist/{entry.pk}/", {"urgent": True}, format="json")
    assert response.status_code == 200, response.json()
    response = integration.patch(API + f"waitlist/{entry.pk}/", {"providers": [prov.pk], "visit_minutes": 30},
                                 format="json")
    assert response.status_code == 200, response.json()
    other = f.entry(f.patient(phone="+13125550188"))
    response = integration.patch(API + f"waitlist/{other.pk}/", {"providers": [prov.pk]}, format="json")
    assert response.status_code == 400 and "not active" in response.json()["providers"][0]
