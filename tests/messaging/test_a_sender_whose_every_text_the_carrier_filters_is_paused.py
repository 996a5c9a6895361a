"""Carrier failures (30007 filtering, 30008) reach us only by status callback, after Twilio's API
accepted the text. Each acceptance used to reset the failure streak, so a sender whose every text
was being filtered was never paused while the engine burned through the waitlist."""

import pytest

from messaging import services
from messaging.models import SenderHealth
from tests.messaging.twilio_requests import STATUS, post_signed, status_params

pytestmark = pytest.mark.django_db


def _send_and_report(client, settle, number: str, status: str, code: str = "") -> None:
    phone = services.phone_get_or_create(raw=number)
    message = services.message_enqueue(phone=phone, template="help")
    settle()
    message.refresh_from_db()
    assert message.provider_sid
    assert post_signed(client, STATUS, status_params(message.provider_sid, status, code)).status_code == 200


@pytest.fixture
def twilio_like(sms):
    # like Twilio: accepts every text, reports delivery only by callback (driven by the test)
    sms.plays_provider = False
    sms.reports_delivery = True
    return sms


def test_every_text_filtered_by_the_carrier_pauses_the_sender(client, clock, settle, settings, twilio_like):
    settings.SENDER_FAILURE_THRESHOLD = 5
    for i in range(5):
        _send_and_report(client, settle, f"+1312555{200 + i:04d}", "undelivered", "30007")
    assert services.sender_is_paused()


def test_a_delivered_text_breaks_the_run_of_failures(client, clock, settle, settings, twilio_like):
    settings.SENDER_FAILURE_THRESHOLD = 5
    for i in range(4):
        _send_and_report(client, settle, f"+1312555{300 + i:04d}", "undelivered", "30007")
    _send_and_report(client, settle, "+13125550399", "delivered")
    assert SenderHealth.objects.get(pk=1).failure_streak == 0
    for i in range(4):
        _send_and_report(client, settle, f"+1312555{310 + i:04d}", "undelivered", "30007")
    assert not services.sender_is_paused()
