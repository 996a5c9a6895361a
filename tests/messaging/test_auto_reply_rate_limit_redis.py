"""With REDIS_URL set (production requires it) auto-reply counts live in Redis, so the cap holds
across web processes and workers: a second process sees the count the first one ran up."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from messaging.models import Message

from .twilio_requests import text_in

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL=redis://... (the CI's Redis run sets it)"),
    pytest.mark.skipif(
        "redis" not in django_settings.CACHES["default"]["BACKEND"].lower(),
        reason="the default cache is not Redis (settings decide it from REDIS_URL at import)",
    ),
]

_CHECK_IN_ANOTHER_PROCESS = """
import sys, types, django
django.setup()
from messaging.services import _auto_reply_limited
limited = _auto_reply_limited(types.SimpleNamespace(e164=sys.argv[1]))
print("limited" if limited else "free")
"""


def _fresh_number() -> str:
    # a number no earlier run has counted against (Redis keeps counts across runs)
    return "+1312555" + f"{secrets.randbelow(10_000):04d}"


def _limited_in_another_process(number: str, settings) -> bool:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinicbot.settings",
        "DEBUG": "true",  # a helper process, not a production server
        "AUTO_REPLY_RATE_PER_NUMBER": settings.AUTO_REPLY_RATE_PER_NUMBER,
        "AUTO_REPLY_RATE_GLOBAL": settings.AUTO_REPLY_RATE_GLOBAL,
    }
    out = subprocess.run(
        [sys.executable, "-c", _CHECK_IN_ANOTHER_PROCESS, number], env=env, capture_output=True, text=True,
        timeout=60, cwd=str(django_settings.BASE_DIR), check=True,
    )
    return out.stdout.strip().splitlines()[-1] == "limited"


def test_auto_replies_are_capped_in_redis_and_every_text_is_still_acted_on(client, clock, sms, settle, settings):
    settings.AUTO_REPLY_RATE_PER_NUMBER = "3/h"
    # a rate of its own: Redis keys include the rate, so other runs' global counts do not interfere
    settings.AUTO_REPLY_RATE_GLOBAL = "100000/59m"
    number = _fresh_number()
    for _ in range(8):
        assert text_in(client, number, "HELP").status_code == 200
    settle()
    assert Message.objects.filter(direction="inbound", processed_at__isnull=False, intent="help").count() == 8
    assert len(sms.bodies_to(number)) == 3
    # another process (a worker, a second web server) shares the count
    assert _limited_in_another_process(number, settings)
    assert not _limited_in_another_process(_fresh_number(), settings)
