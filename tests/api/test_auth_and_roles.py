"""Who may call what: no token 401, a revoked or unknown token 401, the wrong role 403."""

import pytest
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from .conftest import API

pytestmark = pytest.mark.django_db

READABLE = ["locations/", "providers/", "appointment-types/", "patients/", "waitlist/", "cancellations/", "offers/",
            "messages/", "metrics/"]


@pytest.mark.parametrize("path", READABLE)
def test_a_request_without_a_token_is_401(anonymous, path):
    response = anonymous.get(API + path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_an_unknown_token_is_401(roles):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(API + "locations/").status_code == 401


def test_a_revoked_token_is_401(integration):
    assert integration.get(API + "locations/").status_code == 200
    call_command("create_api_token", integration.user.username, "--revoke", stderr=None)
    assert not AuthToken.objects.filter(user=integration.user).exists()
    assert integration.get(API + "locations/").status_code == 401


def test_a_deleted_user_token_is_401(integration):
    integration.user.delete()
    assert integration.get(API + "locations/").status_code == 401


def test_an_inactive_user_token_is_401(integration):
    integration.user.is_active = False
    integration.user.save()
    assert integration.get(API + "locations/").status_code == 401


def test_a_user_in_no_group_is_403_everywhere(roles):
    from .conftest import _client

    nobody = _client("nobody", None)
    for path in READABLE:
        assert nobody.get(API + path).status_code == 403, path


@pytest.mark.parametrize("path", READABLE)
def test_integration_reads_everything(integration, path):
    assert integration.get(API + path).status_code == 200


def test_front_desk_cannot_read_metrics(front_desk):
    response = front_desk.get(API + "metrics/")
    assert response.status_code == 403


def test_manager_reads_metrics(manager):
    assert manager.get(API + "metrics/").status_code == 200


def test_front_desk_cannot_create_locations_or_providers(front_desk, clinic):
    loc, _, _ = clinic
    assert front_desk.post(API + "locations/", {"name": "X", "sms_name": "X"}, format="json").status_code == 403
    response = front_desk.post(API + "providers/", {"name": "Dr X", "sms_name": "Dr X", "kind": "MD",
                                                   "locations": [loc.pk]}, format="json")
    assert response.status_code == 403


def test_front_desk_may_log_a_cancellation(front_desk, clinic):
    from .conftest import later

    loc, prov, _ = clinic
    response = front_desk.post(API + "cancellations/", {"provider": prov.pk, "location": loc.pk,
                                                       "start_at": later(5)}, format="json")
    assert response.status_code == 201, response.json()


def test_manager_may_create_a_location(manager):
    response = manager.post(API + "locations/", {"name": "East", "sms_name": "East"}, format="json")
    assert response.status_code == 201


def test_a_role_that_may_add_but_not_change_cannot_upsert_an_existing_record(roles, clinic):
    """POST with a known external_id changes a record: it needs the change permission too."""
    from django.contrib.auth.models import Permission

    from .conftest import _client

    loc, _, _ = clinic
    loc.external_id = "LOC-1"
    loc.save()
    adder = _client("adder", None)
    adder.user.user_permissions.add(Permission.objects.get(codename="add_location"))
    response = adder.post(API + "locations/", {"name": "Renamed", "sms_name": "R", "external_id": "LOC-1"},
                          format="json")
    assert response.status_code == 403
    loc.refresh_from_db()
    assert loc.name != "Renamed"


def test_session_login_without_the_role_is_still_403(roles, client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("plain", password="x" * 16)
    client.force_login(user)
    assert client.get(API + "patients/").status_code == 403
