"""Bad configuration stops startup with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicbot.settings.env import parse_sending_hours

ROOT = Path(__file__).resolve().parents[2]


def _start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
    clean.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("value", ["25:00-08:00", "08:00", "20:00-08:00", "8-20", "08:00-08:00", "24:00-24:00", ""])
def test_bad_sending_hours_is_rejected_with_its_name(value):
    with pytest.raises(ImproperlyConfigured, match="SENDING_HOURS"):
        parse_sending_hours(value)


def test_sending_hours_accepts_24_00_as_the_end_only():
    start, end = parse_sending_hours("00:00-24:00")
    assert start.hour == 0 and end is None
    with pytest.raises(ImproperlyConfigured):
        parse_sending_hours("24:00-23:00")


def test_bad_sending_hours_stops_startup():
    result = _start(DEBUG="true", SENDING_HOURS="21:00-08:00")
    assert result.returncode != 0
    assert "SENDING_HOURS" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_default_secret_key_naming_it():
    result = _start(DEBUG="false", REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_twilio_backend_without_credentials_names_the_missing_variable():
    result = _start(DEBUG="false", SECRET_KEY="x" * 50, REDIS_URL="redis://127.0.0.1:6379/0", SMS_BACKEND="twilio")
    assert result.returncode != 0
    assert "TWILIO_ACCOUNT_SID" in result.stderr and "TWILIO_AUTH_TOKEN" in result.stderr


def test_production_with_everything_set_starts():
    result = _start(
        DEBUG="false", SECRET_KEY="x" * 50, REDIS_URL="redis://127.0.0.1:6379/0", SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t" * 32, TWILIO_FROM_NUMBER="+13125550199",
        PUBLIC_BASE_URL="https://clinic.example",
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "started" in result.stdout
