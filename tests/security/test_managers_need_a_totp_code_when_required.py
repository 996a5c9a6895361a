"""With OTP_REQUIRED_FOR_MANAGERS, managers (and superusers) must confirm a TOTP code before the
console opens; front-desk staff are not asked; with the setting off nobody is."""

import io

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicbot import middleware
from core.models import AuditEvent

from .conftest import make_staff

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def manager(settings):
    settings.OTP_REQUIRED_FOR_MANAGERS = True
    user = make_staff("manager", group="Manager")
    out = io.StringIO()
    call_command("otp_enroll", "manager", stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    return user


def test_the_manager_group_name_matches_setup_roles():
    from waitlist.management.commands.setup_roles import MANAGER

    assert middleware.MANAGER_GROUP == MANAGER


def test_a_manager_without_a_code_is_sent_to_verify(client, manager):
    client.force_login(manager)
    response = client.get("/admin/waitlist/patient/")
    assert response.status_code == 302 and response["Location"].startswith("/account/verify/")
    assert client.get("/admin/board/poll/").status_code == 403


def test_a_wrong_code_is_refused_and_recorded(client, manager):
    client.force_login(manager)
    device = TOTPDevice.objects.get(user=manager)
    wrong = _code(device, offset=10)
    response = client.post("/account/verify/", {"otp_token": wrong, "next": "/admin/"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor_user=manager).exists()


def test_the_current_code_opens_the_console(client, manager):
    client.force_login(manager)
    device = TOTPDevice.objects.get(user=manager)
    response = client.post("/account/verify/", {"otp_token": _code(device), "next": "/admin/waitlist/patient/"})
    assert response.status_code == 302 and response["Location"] == "/admin/waitlist/patient/"
    assert client.get("/admin/waitlist/patient/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor_user=manager).exists()


def test_verify_never_redirects_off_site(client, manager):
    client.force_login(manager)
    device = TOTPDevice.objects.get(user=manager)
    response = client.post("/account/verify/", {"otp_token": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_a_superuser_is_asked_too(client, settings):
    settings.OTP_REQUIRED_FOR_MANAGERS = True
    client.force_login(make_staff("root", superuser=True))
    assert client.get("/admin/").status_code == 302


def test_front_desk_staff_are_not_asked(client, settings):
    settings.OTP_REQUIRED_FOR_MANAGERS = True
    client.force_login(make_staff("desk", group="Front desk"))
    assert client.get("/admin/waitlist/patient/").status_code == 200


def test_with_the_setting_off_managers_are_not_asked(client, settings):
    settings.OTP_REQUIRED_FOR_MANAGERS = False
    client.force_login(make_staff("manager", group="Manager"))
    assert client.get("/admin/waitlist/patient/").status_code == 200
