"""A cancellation's page: offers grouped by wave with status and score breakdown; read-only fields
(state changes only through the buttons); never deleted."""

import pytest

from offers.models import Cancellation
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def test_offers_are_grouped_by_wave_with_their_breakdown(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    desk.post(f"/admin/offers/cancellation/{c.pk}/act/next_wave/")
    settle()
    html = desk.get(f"/admin/offers/cancellation/{c.pk}/change/").content.decode()
    assert "Wave 1" in html and "Wave 2" in html
    assert html.index("Wave 1") < html.index("Wave 2")
    assert html.count("data-offer=") == 4
    # the breakdown explains the score: current appointment points and time on the list
    assert "current appt 20" in html
    assert "= 20" in html
    assert 'data-action="pause"' in html and 'data-action="withdraw"' in html


def test_the_page_cannot_be_saved_directly(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    response = desk.post(f"/admin/offers/cancellation/{c.pk}/change/", {"status": "filled"})
    assert response.status_code == 405
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING


def test_nobody_can_delete_a_cancellation(superuser, clinic, settle):
    c = offering_slot(clinic, settle)
    assert superuser.get(f"/admin/offers/cancellation/{c.pk}/delete/").status_code == 403
    assert Cancellation.objects.filter(pk=c.pk).exists()


def test_managers_see_the_slots_audit_history_and_front_desk_does_not(desk, manager, clinic, settle):
    c = offering_slot(clinic, settle)
    url = f"/admin/offers/cancellation/{c.pk}/change/"
    assert 'id="history"' in manager.get(url).content.decode()
    assert 'id="history"' not in desk.get(url).content.decode()


def test_the_list_shows_local_slot_times(desk, clinic, settle):
    offering_slot(clinic, settle)
    html = desk.get("/admin/offers/cancellation/").content.decode()
    assert "Wed Nov 25, 3:00 PM CST" in html
