import pytest
from django.test import override_settings

from bench.twilio_standin import StandIn
from messaging.backends import OutgoingSms, TwilioBackend


@pytest.fixture
def standin():
    with StandIn() as s:
        yield s


def _backend(standin):
    with override_settings(
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token", TWILIO_API_BASE_URL=standin.url,
        TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32, PUBLIC_BASE_URL="https://clinic.example",
    ):
        return TwilioBackend()


def test_real_sdk_sends_through_the_standin_with_callback_and_validity(standin, settings):
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    result = _backend(standin).send(OutgoingSms(to="+13125550111", body="hello", validity_seconds=420.7))
    assert result.ok and result.sid.startswith("SM") and len(result.sid) == 34
    form = standin.requests[-1][1]
    assert form["To"] == "+13125550111"
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert form["StatusCallback"] == "https://clinic.example/webhooks/twilio/status/"
    assert form["ValidityPeriod"] == "420"


def test_http_500_and_429_are_transient(standin):
    backend = _backend(standin)
    standin.fail_requests(1, status=500)
    assert backend.send(OutgoingSms(to="+13125550111", body="x", validity_seconds=None)).transient
    standin.fail_requests(1, status=429)
    assert backend.send(OutgoingSms(to="+13125550111", body="x", validity_seconds=None)).transient


def test_connection_refused_is_transient(settings):
    with override_settings(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t", TWILIO_API_BASE_URL="http://127.0.0.1:9"):
        result = TwilioBackend().send(OutgoingSms(to="+13125550111", body="x", validity_seconds=None))
    assert not result.ok and result.transient
