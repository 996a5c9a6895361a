"""Offers and messages are read-only, paginated and filterable; filters reject malformed values."""

import pytest

from messaging.models import Message
from offers.models import Offer
from tests import factories as f
from tests.offers._support import SLOT_AT, text_in, waiting

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering(clinic, settle):
    loc, prov, atype = clinic
    waiting(4)
    c = f.cancellation(prov, loc, SLOT_AT, atype=atype)
    settle()
    return c


def test_offers_list_with_the_contract_fields(integration, offering):
    body = integration.get(API + "offers/").json()
    assert body["count"] == Offer.objects.count() == 3
    first = body["results"][0]
    for key in ("id", "cancellation", "patient", "status", "wave", "score", "expires_at"):
        assert key in first
    assert first["status"] == "pending" and first["wave"] == 1


def test_offers_filter_by_cancellation_patient_and_status(integration, offering, settle):
    offer = Offer.objects.order_by("pk").first()
    text_in(offer.phone.e164, "no")
    settle()
    assert integration.get(API + "offers/?status=declined").json()["count"] == 1
    assert integration.get(API + f"offers/?patient={offer.patient_id}").json()["count"] == 1
    assert integration.get(API + f"offers/?cancellation={offering.pk}&status=pending").json()["count"] == 2
    assert integration.get(API + "offers/?cancellation=999999").json()["count"] == 0


@pytest.mark.parametrize("query", ["status=won", "cancellation=x", "patient=-1", "cancellation=1e3"])
def test_a_malformed_offer_filter_is_a_400(integration, db, query):
    assert integration.get(API + "offers/?" + query).status_code == 400


def test_offers_cannot_be_written(integration, offering):
    offer = Offer.objects.first()
    assert integration.post(API + "offers/", {}, format="json").status_code == 405
    assert integration.patch(API + f"offers/{offer.pk}/", {"status": "accepted"}, format="json").status_code == 405


def test_an_unknown_offer_is_404(integration, db):
    assert integration.get(API + "offers/123456/").status_code == 404


def test_messages_link_to_their_offer_and_filter(integration, offering, settle):
    offer = Offer.objects.order_by("pk").first()
    text_in(offer.phone.e164, "YES")
    settle()
    body = integration.get(API + f"messages/?offer={offer.pk}").json()
    directions = sorted(m["direction"] for m in body["results"])
    assert "inbound" in directions and "outbound" in directions
    assert all(m["offer"] == offer.pk for m in body["results"])
    inbound = integration.get(API + f"messages/?offer={offer.pk}&direction=inbound").json()["results"]
    assert [m["body"] for m in inbound] == ["YES"]
    assert inbound[0]["send_state"] == "" and inbound[0]["status"] == "received"
    delivered = integration.get(API + "messages/?status=delivered&direction=outbound").json()
    assert delivered["count"] == Message.objects.filter(direction="outbound", status="delivered").count() > 0
    mine = integration.get(API + f"messages/?patient={offer.patient_id}").json()
    assert mine["count"] == Message.objects.filter(patient_id=offer.patient_id).count()


def test_a_message_has_the_contract_fields(integration, offering):
    message = integration.get(API + "messages/").json()["results"][0]
    for key in ("id", "direction", "patient", "offer", "body", "send_state", "status", "provider_sid",
                "error_code", "created_at"):
        assert key in message


@pytest.mark.parametrize("query", ["direction=sideways", "status=lost", "offer=abc", "send_state=maybe"])
def test_a_malformed_message_filter_is_a_400(integration, db, query):
    assert integration.get(API + "messages/?" + query).status_code == 400


def test_messages_cannot_be_written(integration, offering):
    message = Message.objects.first()
    assert integration.post(API + "messages/", {"body": "hi"}, format="json").status_code == 405
    assert integration.delete(API + f"messages/{message.pk}/").status_code == 405


def test_an_out_of_range_page_is_404(integration, offering):
    assert integration.get(API + "messages/?page=999").status_code == 404
