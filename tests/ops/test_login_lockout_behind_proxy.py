"""Behind the TLS proxy every request reaches Django from the proxy's address. The staff login lockout
(by user name or by address) must count the client's address, or one person's typos lock out the clinic."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from clinicbot.proxy import client_ip
from clinicbot.settings.env import VARIABLES

from .smoke import REPO

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Staff-passphrase-42"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, username, password, address):
    # REMOTE_ADDR is always the proxy's; X-Forwarded-For is what deploy/nginx.conf sets
    return client.post("/admin/login/", {"username": username, "password": password},
                       REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address)


def _lock_out_a_stranger(client):
    for _ in range(django_settings.AXES_FAILURE_LIMIT + 1):
        _login(client, "mallory", "guess-guess-guess", "203.0.113.9")


def test_with_trust_proxy_a_strangers_failed_logins_do_not_lock_out_staff(client, settings):
    settings.AXES_CLIENT_IP_CALLABLE = "clinicbot.proxy.client_ip"
    get_user_model().objects.create_user("alice", password=PASSWORD, is_staff=True)
    _lock_out_a_stranger(client)
    assert _login(client, "mallory", "guess-guess-guess", "203.0.113.9").status_code != 302
    response = _login(client, "alice", PASSWORD, "198.51.100.7")
    assert response.status_code == 302, response.content[:300]


def test_counting_the_proxys_address_would_lock_out_everyone(client, settings):
    # what happened before: the lockout saw only REMOTE_ADDR
    settings.AXES_CLIENT_IP_CALLABLE = None
    get_user_model().objects.create_user("alice", password=PASSWORD, is_staff=True)
    _lock_out_a_stranger(client)
    assert _login(client, "alice", PASSWORD, "198.51.100.7").status_code != 302


def test_the_client_address_is_the_right_most_forwarded_entry():
    class Request:
        META = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 198.51.100.7"}

    assert client_ip(Request) == "198.51.100.7"
    Request.META = {"REMOTE_ADDR": "127.0.0.1"}
    assert client_ip(Request) == "127.0.0.1"


def test_trust_proxy_turns_the_forwarded_address_on():
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    code = "from django.conf import settings; print(getattr(settings, 'AXES_CLIENT_IP_CALLABLE', None))"
    for trust, expected in (("true", "clinicbot.proxy.client_ip"), ("false", "None")):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=REPO, capture_output=True,
            text=True, timeout=60,
            env={**env, "CLINICBOT_IGNORE_DOTENV": "1", "DEBUG": "true", "TRUST_PROXY": trust,
                 "DJANGO_SETTINGS_MODULE": "clinicbot.settings"},
        )
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr[-2000:]
