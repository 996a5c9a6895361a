"""The board refreshes itself from `board/poll/`: JSON with every section's HTML and the counts. The
poll path contains /poll/, so it never extends an idle session."""

import pytest

from offers.board import SECTIONS
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db
POLL = "/admin/board/poll/"


def test_poll_returns_every_section_and_new_offers_appear_in_it(desk, clinic, settle):
    before = desk.get(POLL).json()
    assert set(before["sections"]) == set(SECTIONS)
    assert before["counts"]["pending"] == 0
    c = offering_slot(clinic, settle)
    after = desk.get(POLL).json()
    assert after["counts"]["open"] == 1
    assert after["counts"]["pending"] == 3
    assert f'data-cancellation="{c.pk}"' in after["sections"]["open"]
    assert after["sections"]["pending"].count("data-expires-ms=") == 3


def test_poll_reports_the_server_clock_for_the_countdowns(desk, clinic, clock):
    data = desk.get(POLL).json()
    assert data["now_ms"] == int(clock().timestamp() * 1000)


def test_poll_does_not_count_as_activity(desk, clinic, clock):
    desk.get("/admin/")
    last = desk.session["last_activity"]
    clock.advance(minutes=5)
    assert desk.get(POLL).status_code == 200
    assert desk.session["last_activity"] == last
    clock.advance(minutes=1)
    desk.get("/admin/")
    assert desk.session["last_activity"] > last


def test_poll_needs_the_board_permission(nobody):
    assert nobody.get(POLL).status_code == 403


def test_poll_without_a_session_is_sent_to_the_login_page(client, db):
    response = client.get(POLL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_poll_only_answers_get(desk):
    assert desk.post(POLL).status_code == 405
