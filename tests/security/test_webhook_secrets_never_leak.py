"""A rejected webhook is logged without the auth token, the expected signature or the payload; the
response says only "Forbidden"; a configuration error names variables, never their values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import INBOUND, STATUS, twilio_signature

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "auth-token-7f3a9c1e5b"


@pytest.mark.django_db
@pytest.mark.parametrize("path", [INBOUND, STATUS])
def test_a_bad_signature_leaves_no_secret_in_logs_or_response(client, settings, console_output, path):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.WEBHOOK_AUTH_TOKEN = TOKEN
    params = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered", "From": "+13125550123",
              "Body": "sensitive words"}
    expected = twilio_signature(path, params, token=TOKEN)
    forged = twilio_signature(path, params, token="guessed-token")
    response = client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=forged)
    assert response.status_code == 403
    shown = response.content.decode() + str(dict(response.headers))
    logged = console_output.getvalue()
    assert "rejected" in logged  # the attempt is logged for the security monitor
    for secret in (TOKEN, expected, "sensitive words", "+13125550123"):
        assert secret not in shown and secret not in logged, secret
    assert response.content == b"Forbidden"


def test_a_startup_error_names_variables_but_never_their_values():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
    env.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", "DEBUG": "false",
                "SECRET_KEY": "k" * 10, "REDIS_URL": "redis://:redis-pass-4411@127.0.0.1:6379/0",
                "SMS_BACKEND": "twilio", "TWILIO_AUTH_TOKEN": TOKEN})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "TWILIO_ACCOUNT_SID" in result.stderr
    for secret in (TOKEN, "k" * 10, "redis-pass-4411"):
        assert secret not in result.stderr + result.stdout
