"""X-Twilio-Signature is checked first: an unsigned or badly signed request is refused with 403,
stores nothing and leaves a security log line; the signed URL is PUBLIC_BASE_URL + path + query."""

from urllib.parse import urlencode

import pytest
from django.test import RequestFactory
from twilio.request_validator import RequestValidator

from messaging import webhooks
from messaging.models import Message, PhoneNumber, StatusEvent

from .twilio_requests import FORM, INBOUND, STATUS, inbound_params, post_signed, sign, status_params

pytestmark = pytest.mark.django_db

# The SDK's own test vector (twilio-python tests/unit/test_request_validator.py, FACTS.md)
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def _nothing_stored():
    return not Message.objects.exists() and not StatusEvent.objects.exists() and not PhoneNumber.objects.exists()


def test_the_sdk_test_vector_signs_as_documented():
    assert RequestValidator(VECTOR_TOKEN).compute_signature(VECTOR_URL, VECTOR_PARAMS) == VECTOR_SIGNATURE


def test_our_check_accepts_the_sdk_test_vector_when_the_public_origin_matches(settings):
    settings.WEBHOOK_AUTH_TOKEN = VECTOR_TOKEN
    settings.PUBLIC_BASE_URL = "https://mycompany.com"
    # Django itself sees plain http on another host, as behind a TLS-terminating proxy
    request = RequestFactory().post(
        "/myapp.php?foo=1&bar=2", data=urlencode(VECTOR_PARAMS), content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE=VECTOR_SIGNATURE,
    )
    assert webhooks.public_url(request) == VECTOR_URL
    assert webhooks.signature_valid(request)
    tampered = RequestFactory().post(
        "/myapp.php?foo=1&bar=2", data=urlencode({**VECTOR_PARAMS, "Digits": "1235"}), content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE=VECTOR_SIGNATURE,
    )
    assert not webhooks.signature_valid(tampered)


def test_a_request_without_a_signature_is_refused_and_leaves_only_a_security_log_line(client, caplog):
    caplog.set_level("WARNING", logger="clinicbot.security")
    response = post_signed(client, INBOUND, inbound_params("+13125550101", "STOP"), signature=None)
    assert response.status_code == 403
    assert _nothing_stored()
    lines = [r.getMessage() for r in caplog.records if r.name == "clinicbot.security"]
    assert len(lines) == 1 and INBOUND in lines[0]
    assert "5550101" not in lines[0]


def test_a_wrong_signature_is_refused_and_stores_nothing(client):
    response = post_signed(client, INBOUND, inbound_params("+13125550101", "YES"), signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert _nothing_stored()


def test_a_signature_made_with_another_auth_token_is_refused(client):
    params = inbound_params("+13125550101", "YES")
    from django.conf import settings

    forged = RequestValidator("not-our-token").compute_signature(settings.PUBLIC_BASE_URL + INBOUND, params)
    assert post_signed(client, INBOUND, params, signature=forged).status_code == 403
    assert _nothing_stored()


def test_a_parameter_changed_after_signing_is_refused(client, settings):
    params = inbound_params("+13125550101", "NO")
    signature = sign(settings.PUBLIC_BASE_URL + INBOUND, params)
    response = post_signed(client, INBOUND, {**params, "Body": "YES"}, signature=signature)
    assert response.status_code == 403
    assert _nothing_stored()


def test_the_public_https_origin_is_signed_though_django_behind_the_proxy_sees_http(client, settings):
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    params = inbound_params("+13125550101", "HELP")
    # Twilio signs the URL it called: https://clinic.example/...; the test client speaks http://testserver
    assert post_signed(client, INBOUND, params).status_code == 200
    assert Message.objects.filter(provider_sid=params["MessageSid"]).exists()


def test_a_signature_over_the_url_django_sees_is_refused_behind_the_proxy(client, settings):
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    params = inbound_params("+13125550101", "HELP")
    response = post_signed(client, INBOUND, params, base="http://testserver")
    assert response.status_code == 403
    assert _nothing_stored()


def test_the_query_string_is_part_of_the_signed_url(client, settings):
    params = inbound_params("+13125550101", "HELP")
    assert post_signed(client, INBOUND, params, query="clinic=north&v=2").status_code == 200
    # the same request signed as if the query were absent is refused
    other = inbound_params("+13125550101", "HELP")
    signature = sign(settings.PUBLIC_BASE_URL + INBOUND, other)
    assert post_signed(client, INBOUND, other, query="clinic=north&v=2", signature=signature).status_code == 403
    assert not Message.objects.filter(provider_sid=other["MessageSid"]).exists()


def test_a_port_in_the_public_origin_is_signed_either_way(client, settings):
    # the SDK accepts a signature made with or without the default port, as Twilio is inconsistent
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    params = inbound_params("+13125550101", "HELP")
    response = post_signed(client, INBOUND, params, base="https://clinic.example:443")
    assert response.status_code == 200


def test_status_callbacks_are_checked_the_same_way(client):
    params = status_params("SM" + "a" * 32, "delivered")
    assert post_signed(client, STATUS, params, signature=None).status_code == 403
    assert post_signed(client, STATUS, params, signature="AAAA").status_code == 403
    assert not StatusEvent.objects.exists()
    assert post_signed(client, STATUS, params).status_code == 200
    assert StatusEvent.objects.count() == 1


def test_production_without_an_auth_token_refuses_every_webhook(client, settings):
    settings.WEBHOOK_AUTH_TOKEN = ""
    params = inbound_params("+13125550101", "YES")
    signature = RequestValidator("").compute_signature(settings.PUBLIC_BASE_URL + INBOUND, params)
    assert post_signed(client, INBOUND, params, signature=signature).status_code == 403
    assert _nothing_stored()
