"""A staff session ends after SESSION_IDLE_MINUTES without a deliberate request; the live board's
polling neither extends it nor survives it."""


import pytest

from .conftest import make_staff

pytestmark = pytest.mark.django_db

POLL = "/admin/board/poll/"


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_board_left_polling_is_logged_out_after_the_idle_timeout(client, clock, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(make_staff("desk", superuser=True))
    assert client.get("/admin/").status_code == 200
    for _ in range(7):  # polls at 4, 8, ..., 28 minutes: the session is still alive, but not extended
        clock.advance(minutes=4)
        assert client.get(POLL).status_code == 200
        assert _logged_in(client)
    clock.advance(minutes=3)  # 31 minutes after the last deliberate request
    poll = client.get(POLL)
    assert poll.status_code in (302, 401, 403)
    assert not _logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_deliberate_requests_keep_the_session_alive(client, clock, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(make_staff("desk", superuser=True))
    for _ in range(4):
        assert client.get("/admin/").status_code == 200
        clock.advance(minutes=25)
    assert client.get("/admin/").status_code == 200
    assert _logged_in(client)


def test_an_idle_session_is_logged_out_on_its_next_page(client, clock, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(make_staff("desk", superuser=True))
    client.get("/admin/")
    clock.advance(minutes=31)
    response = client.get("/admin/waitlist/patient/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not _logged_in(client)
