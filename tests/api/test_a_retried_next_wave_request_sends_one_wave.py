"""An integration that retries "next wave" (a timeout, a double submit) names the wave it saw in
`after_wave`: the retry is a 409, not a second wave of texts."""

import pytest

from offers.models import Cancellation, Offer
from tests import factories as f
from tests.api.conftest import API, later

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot(integration, clinic, settle):
    loc, prov, atype = clinic
    for i in range(9):
        f.entry(f.patient(first=f"P{i}"), atype)
    settle()
    created = integration.post(API + "cancellations/", {"provider": prov.pk, "location": loc.pk,
                                                          "start_at": later(5)}, format="json").json()
    settle()
    return Cancellation.objects.get(pk=created["id"])


def test_a_retried_next_wave_request_sends_one_wave(integration, slot, settle):
    assert slot.current_wave == 1
    url = API + f"cancellations/{slot.pk}/next-wave/"
    first = integration.post(url, {"after_wave": 1}, format="json")
    retry = integration.post(url, {"after_wave": 1}, format="json")
    settle()
    assert first.status_code == 200 and first.json()["current_wave"] == 2
    assert retry.status_code == 409
    assert "after_wave" in retry.json()["detail"]
    assert Cancellation.objects.get(pk=slot.pk).current_wave == 2
    assert not Offer.objects.filter(cancellation=slot, wave=3).exists()


@pytest.mark.parametrize("bad", ["two", -1, 10**30, [1]])
def test_a_bad_after_wave_is_a_400_and_sends_nothing(integration, slot, settle, bad):
    response = integration.post(API + f"cancellations/{slot.pk}/next-wave/", {"after_wave": bad}, format="json")
    assert response.status_code == 400
    assert "after_wave" in response.json()
    settle()
    assert Cancellation.objects.get(pk=slot.pk).current_wave == 1


def test_the_schema_documents_after_wave(client):
    schema = client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/cancellations/{id}/next-wave/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "after_wave" in schema["components"]["schemas"][ref]["properties"]
