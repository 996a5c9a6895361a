"""With DEBUG off the SMS settings must be said, not defaulted: SMS_BACKEND (its default fakes
delivery, so texts would be shown as delivered that never went out), and with twilio an https
PUBLIC_BASE_URL (the development default makes every webhook's signature check fail, losing each
patient's YES and STOP). The errors name the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from clinicbot.settings.env import VARIABLES

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
TWILIO = {
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+13125550199",
}


def _start(**env) -> subprocess.CompletedProcess:
    # nothing from the developer's shell or .env: every clinicbot variable is the one given here
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES and not k.startswith(("DJANGO", "PYTEST"))}
    clean.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def _refused(result: subprocess.CompletedProcess, variable: str) -> None:
    assert result.returncode != 0 and "started" not in result.stdout, result.stdout[-300:]
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr, result.stderr[-800:]


def test_production_without_sms_backend_refuses_to_start_and_runs_the_fake_backend_only_when_named():
    _refused(_start(**PRODUCTION), "SMS_BACKEND")
    named = _start(**PRODUCTION, SMS_BACKEND="dev")
    assert named.returncode == 0 and "started" in named.stdout, named.stderr[-800:]


def test_production_on_twilio_without_public_base_url_refuses_to_start():
    _refused(_start(**PRODUCTION, **TWILIO), "PUBLIC_BASE_URL")


def test_production_on_twilio_refuses_a_public_base_url_that_is_not_https():
    for url in ("http://clinic.example", "http://127.0.0.1:8000", "clinic.example", "https://"):
        _refused(_start(**PRODUCTION, **TWILIO, PUBLIC_BASE_URL=url), "PUBLIC_BASE_URL")


def test_plain_http_on_a_loopback_address_is_accepted_only_with_a_local_twilio_stand_in():
    # the shape of the Procfile smoke test and the benchmarks: nothing real calls these URLs
    loopback = {**PRODUCTION, **TWILIO, "PUBLIC_BASE_URL": "http://127.0.0.1:8123"}
    _refused(_start(**loopback), "PUBLIC_BASE_URL")
    with_stand_in = _start(**loopback, TWILIO_API_BASE_URL="http://127.0.0.1:9")
    assert with_stand_in.returncode == 0 and "started" in with_stand_in.stdout, with_stand_in.stderr[-800:]
    elsewhere = _start(**PRODUCTION, **TWILIO, PUBLIC_BASE_URL="http://clinic.example",
                       TWILIO_API_BASE_URL="http://127.0.0.1:9")
    _refused(elsewhere, "PUBLIC_BASE_URL")
