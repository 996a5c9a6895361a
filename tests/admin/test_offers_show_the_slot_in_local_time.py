"""A slot's name in the offer list, the entry page's offers and the chain-fill message is the
location's wall time: the front desk reads 3:00 PM, not the stored 21:00 UTC."""

import pytest

from offers.models import Offer
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def test_offer_list_shows_the_slot_in_local_time(desk, clinic, settle):
    offering_slot(clinic, settle)  # 15:00 Chicago = 21:00 UTC
    html = desk.get("/admin/offers/offer/").content.decode()
    assert "21:00" not in html
    assert "Wed Nov 25, 3:00 PM CST" in html


def test_entry_page_offers_inline_shows_the_slot_in_local_time(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    offer = Offer.objects.filter(cancellation=c).first()
    html = desk.get(f"/admin/waitlist/waitlistentry/{offer.entry_id}/change/").content.decode()
    assert "21:00" not in html
    assert "Wed Nov 25, 3:00 PM CST" in html


def test_a_slot_reads_as_its_local_time(clinic, settle):
    c = offering_slot(clinic, settle)
    assert "Wed Nov 25, 3:00 PM CST" in str(c) and "21:00" not in str(c)
