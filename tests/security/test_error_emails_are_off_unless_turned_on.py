"""Django's error e-mails carry request data: none is sent unless ADMIN_ERROR_EMAILS is on, and the
reports themselves never carry POST data, local variables or secrets."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils.log import AdminEmailHandler
from django.views.debug import get_exception_reporter_class

ROOT = Path(__file__).resolve().parents[2]


def _email_handlers():
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    return [(lg.name, h) for lg in loggers for h in lg.handlers if isinstance(h, AdminEmailHandler)]


def test_no_logger_mails_anyone_by_default():
    assert _email_handlers() == []


def test_errors_send_no_mail_even_with_admins_listed(settings):
    settings.ADMINS = [("ops", "ops@example.com")]
    request = RequestFactory().post("/webhooks/twilio/inbound/", {"From": "+13125550123"})
    logging.getLogger("django.request").error("Internal Server Error: %s", request.path,
                                              extra={"status_code": 500, "request": request})
    logging.getLogger("django.security.csrf").error("bad things")
    assert mail.outbox == []


def _start(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
    clean.update({"CLINICBOT_IGNORE_DOTENV": "1", "DJANGO_SETTINGS_MODULE": "clinicbot.settings", "DEBUG": "true",
                  **env})
    code = ("import django, logging; django.setup(); from django.conf import settings;"
            "print([h.__class__.__name__ for h in logging.getLogger('django.request').handlers], settings.ADMINS)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)


def test_an_operator_can_turn_error_mails_on_knowingly():
    on = _start(ADMIN_ERROR_EMAILS="true", ADMIN_EMAILS="ops@clinic.example")
    assert on.returncode == 0, on.stderr
    assert "AdminEmailHandler" in on.stdout and "ops@clinic.example" in on.stdout
    nobody = _start(ADMIN_ERROR_EMAILS="true")
    assert nobody.returncode != 0 and "ADMIN_EMAILS" in nobody.stderr


@pytest.mark.django_db
def test_error_reports_hide_post_data_locals_and_secrets(settings):
    settings.DEBUG = False
    settings.WEBHOOK_AUTH_TOKEN = "tok-0123456789abcdef"
    settings.REDIS_URL = "redis://:hunter2-redis@127.0.0.1:6379/0"
    request = RequestFactory().post("/webhooks/twilio/inbound/?q=Quixotefield",
                                    {"From": "+13125559876", "Body": "my rash is worse"})
    patient_name = "Zebulon Quixotefield"  # noqa: F841 - a local the report must not show
    try:
        raise ValueError("processing failed")
    except ValueError:
        report = get_exception_reporter_class(request)(request, *sys.exc_info()).get_traceback_text()
    assert "processing failed" in report  # it is a real report
    for secret in ("+13125559876", "my rash is worse", "Zebulon", "Quixotefield", "tok-0123456789abcdef",
                   "hunter2-redis"):
        assert secret not in report, secret
