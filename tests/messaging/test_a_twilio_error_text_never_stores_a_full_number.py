"""Twilio's error text often quotes the number it refused. It is stored on the message and shown to
staff on the message page, where every other number is masked to its last 4 digits: masked too."""

import pytest
from django.test import override_settings
from twilio.base.exceptions import TwilioRestException

from messaging.backends import OutgoingSms, TwilioBackend

NUMBER = "+13125550111"


@pytest.fixture
def backend():
    with override_settings(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token",
                           TWILIO_API_BASE_URL="http://127.0.0.1:9", TWILIO_FROM_NUMBER="+13125550000"):
        return TwilioBackend()


def test_a_refused_number_in_twilios_words_is_masked(backend, monkeypatch):
    def refuse(**kwargs):
        raise TwilioRestException(400, "https://api.twilio.com/x", msg=f"The 'To' number {NUMBER} is not a valid phone "
                                  "number.", code=21211)

    monkeypatch.setattr(backend.client.messages, "create", refuse)
    result = backend.send(OutgoingSms(to=NUMBER, body="x", validity_seconds=None))
    assert not result.ok and result.error_code == "21211"
    assert NUMBER not in result.error_message and "5550111" not in result.error_message
    assert "0111" in result.error_message and "is not a valid phone number" in result.error_message
