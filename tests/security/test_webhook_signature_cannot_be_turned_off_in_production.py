"""WEBHOOK_SIGNATURE_CHECK=false is a development convenience only: production refuses to start
with it, and the check runs regardless whenever DEBUG is off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from messaging.models import Message

from .conftest import INBOUND

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"MessageSid": "SM" + "9" * 32, "From": "+13125550123", "Body": "STOP"}


def test_production_refuses_to_start_with_the_check_off():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
    env.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", "DEBUG": "false",
                "SECRET_KEY": "s" * 20 + "-production-key-0123456789", "REDIS_URL": "redis://127.0.0.1:6379/0",
                "WEBHOOK_SIGNATURE_CHECK": "false"})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); print('started')"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "started" not in result.stdout
    assert "WEBHOOK_SIGNATURE_CHECK" in result.stderr


@pytest.mark.django_db
def test_with_debug_off_an_unsigned_webhook_is_refused_even_if_the_check_is_off(client, settings):
    settings.DEBUG = False
    settings.WEBHOOK_SIGNATURE_CHECK = False
    response = client.post(INBOUND, data=PARAMS)
    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_only_development_can_skip_the_check(client, settings):
    settings.DEBUG = True
    settings.WEBHOOK_SIGNATURE_CHECK = False
    assert client.post(INBOUND, data=PARAMS).status_code == 200
    assert Message.objects.filter(provider_sid=PARAMS["MessageSid"]).exists()
