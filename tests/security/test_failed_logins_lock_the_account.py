"""Repeated failed logins lock the account (django-axes): even the right password is refused."""

import pytest
from django.conf import settings

from .conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def _login(client, password, ip="10.0.0.1"):
    return client.post("/admin/login/?next=/admin/", {"username": "desk", "password": password},
                       REMOTE_ADDR=ip)


def test_the_right_password_logs_in_before_any_failure(client):
    make_staff("desk")
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_after_too_many_failures_the_right_password_is_refused(client):
    make_staff("desk")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "wrong password!!").status_code == 200
    assert _login(client, "wrong password!!").status_code == 429  # the limit-th failure locks
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # changing address does not help: the username itself is locked
    assert _login(client, PASSWORD, ip="10.9.9.9").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_few_failures_below_the_limit_do_not_lock(client):
    make_staff("desk")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong password!!")
    assert _login(client, PASSWORD).status_code == 302
