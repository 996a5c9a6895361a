"""Contract test: the real `twilio` backend (the SDK, our parameters) against Prism serving Twilio's
own OpenAPI description. With --errors Prism answers 422 to any request the description rejects,
so a 201 proves each kind of request the project makes is valid; an invalid one must come back as
a reported failure, never a crash. Prism's static answers reuse one sid: at most one stored
message per test (each test's rows are rolled back)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from messaging import backends, services
from messaging.backends import OutgoingSms, TwilioBackend
from messaging.models import Message

pytestmark = pytest.mark.prism

REPO = Path(django_settings.BASE_DIR)
PRISM = REPO / ".tools" / "node_modules" / ".bin" / "prism"
SPECS = [REPO.parent / "shared" / "twilio" / "twilio_api_v2010.json", REPO / ".tools" / "twilio_api_v2010.json"]
ACCOUNT = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "fedcba9876543210" * 2
TO = "+13125550700"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prism_url():
    spec = next((p for p in SPECS if p.is_file()), None)
    if not PRISM.exists():
        pytest.skip(f"Prism is not installed at {PRISM} (npm install --prefix .tools @stoplight/prism-cli@5.16.0)")
    if spec is None:
        pytest.skip("Twilio's OpenAPI description (twilio_api_v2010.json) is absent: see ../shared/twilio/README.md")
    port = _free_port()
    proc = subprocess.Popen(
        [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(spec)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    listening = threading.Event()
    tail: list[str] = []

    def watch():
        for line in proc.stdout:
            tail.append(line)
            del tail[:-20]
            if "Prism is listening" in line:
                listening.set()

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + 90
    while not listening.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("Prism did not start:\n" + "".join(tail))
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def twilio(prism_url, settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "prism-token"
    settings.TWILIO_API_BASE_URL = prism_url
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE
    settings.TWILIO_FROM_NUMBER = ""
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    backends.set_backend(None)
    backend = backends.get_backend()
    assert isinstance(backend, TwilioBackend)
    return backend


def _accepted(result):
    assert result.ok, (result.error_code, result.error_message)
    assert result.sid.startswith("SM") and len(result.sid) == 34
    assert result.status in ("queued", "accepted")


def test_an_offer_through_a_messaging_service_with_a_validity_period_is_valid(twilio):
    kwargs = twilio.request_kwargs(OutgoingSms(to=TO, body="Riverside: earlier visit open. Reply YES", validity_seconds=419.6))
    assert kwargs["messaging_service_sid"] == SERVICE and kwargs["validity_period"] == 419
    assert kwargs["status_callback"] == "https://clinic.example/webhooks/twilio/status/"
    _accepted(twilio.send(OutgoingSms(to=TO, body="Riverside: earlier visit open. Reply YES", validity_seconds=419.6)))


def test_a_reply_from_a_sender_number_without_a_validity_period_is_valid(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = "+13125550199"
    kwargs = twilio.request_kwargs(OutgoingSms(to=TO, body="no problem", validity_seconds=None))
    assert kwargs["from_"] == "+13125550199" and "validity_period" not in kwargs
    _accepted(twilio.send(OutgoingSms(to=TO, body="no problem", validity_seconds=None)))


@pytest.mark.parametrize("seconds", [0.4, 36000, 99999])
def test_validity_periods_at_and_past_twilios_bounds_are_clamped_and_valid(twilio, seconds):
    period = twilio.request_kwargs(OutgoingSms(to=TO, body="x", validity_seconds=seconds))["validity_period"]
    assert 1 <= period <= 36000
    _accepted(twilio.send(OutgoingSms(to=TO, body="x", validity_seconds=seconds)))


def test_a_spanish_ucs2_body_is_valid(twilio):
    _accepted(twilio.send(OutgoingSms(to=TO, body="Su cita está reservada: sáb 28 nov 10:30.", validity_seconds=None)))


@pytest.mark.django_db
def test_the_outbox_sends_through_the_real_sdk_and_records_the_sid(twilio, clock, settle):
    phone = services.phone_get_or_create(raw=TO)
    message = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT and message.provider_sid.startswith("SM")
    assert message.status in ("queued", "accepted")


def test_a_bad_status_callback_url_is_rejected_and_reported_as_a_failure(twilio, settings):
    settings.PUBLIC_BASE_URL = "not a url"
    result = twilio.send(OutgoingSms(to=TO, body="x", validity_seconds=60))
    assert not result.ok and not result.transient and not result.unknown
    assert result.error_code == "http422"


def test_a_malformed_messaging_service_sid_is_rejected_and_reported_as_a_failure(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG123"
    result = twilio.send(OutgoingSms(to=TO, body="x", validity_seconds=None))
    assert (result.ok, result.transient, result.error_code) == (False, False, "http422")


@pytest.mark.django_db
def test_a_rejected_request_fails_the_message_without_a_crash(twilio, settings, clock, settle):
    settings.PUBLIC_BASE_URL = "not a url"
    phone = services.phone_get_or_create(raw=TO)
    message = services.message_enqueue(phone=phone, template="help")
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.error_code) == ("failed", "http422")
    assert message.provider_sid is None
