"""Every correctly signed inbound request is stored and answered 200 with empty TwiML: a picture
message with no text, 1,600 characters, parameters Twilio added without notice, bytes that are not
UTF-8. Only a signed request without MessageSid or From is a 400, and then nothing is stored."""

from urllib.parse import urlencode

import pytest

from messaging.models import Message, PhoneNumber
from messaging.webhooks import EMPTY_TWIML

from .twilio_requests import INBOUND, inbound_params, new_sid, post_form, post_signed

pytestmark = pytest.mark.django_db


def _assert_empty_twiml(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == EMPTY_TWIML


def test_empty_twiml_is_what_the_sdk_renders_for_no_reply():
    from twilio.twiml.messaging_response import MessagingResponse

    assert str(MessagingResponse()) == EMPTY_TWIML


def test_a_picture_message_with_no_text_is_stored_and_answered(client, settle):
    params = inbound_params(
        "+13125550101", "", NumMedia="1", MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME",
        MediaContentType0="image/jpeg",
    )
    _assert_empty_twiml(post_signed(client, INBOUND, params))
    message = Message.objects.get(provider_sid=params["MessageSid"])
    assert message.body == "" and message.raw_params["MediaContentType0"] == "image/jpeg"
    settle()  # processed by a worker after the answer
    message.refresh_from_db()
    assert message.processed_at is not None and message.intent == "unknown"


def test_a_1600_character_text_is_stored_whole(client):
    body = ("I cannot make it on Tuesday but Wednesday works " * 40)[:1600]
    params = inbound_params("+13125550101", body)
    _assert_empty_twiml(post_signed(client, INBOUND, params))
    assert Message.objects.get(provider_sid=params["MessageSid"]).body == body


def test_parameters_twilio_adds_without_notice_are_accepted_signed_and_kept(client):
    params = inbound_params("+13125550101", "HELP", AddOns='{"status":"successful"}', NewTwilioThing="42",
                            **{"Weird Key+&=": "value & more"})
    _assert_empty_twiml(post_signed(client, INBOUND, params))
    raw = Message.objects.get(provider_sid=params["MessageSid"]).raw_params
    assert raw["NewTwilioThing"] == "42" and raw["Weird Key+&="] == "value & more"


@pytest.mark.parametrize(
    "encoded_body",
    [
        b"%FF%FEYES%C3",  # percent-encoded bytes that are not UTF-8
        b"\xff\xfe caf\xe9",  # raw Latin-1 bytes, not even percent-encoded
        b"YES%00%00",  # NUL characters (PostgreSQL stores none)
    ],
    ids=["percent-encoded", "raw-latin-1", "nul"],
)
def test_bytes_that_are_not_utf8_are_stored_and_answered(client, settle, encoded_body):
    sid = new_sid()
    raw = urlencode({"MessageSid": sid, "From": "+13125550101", "AccountSid": "AC" + "0" * 32}).encode()
    raw += b"&Body=" + encoded_body + b"&X%FFExtra=%FF"
    _assert_empty_twiml(post_form(client, INBOUND, raw))
    settle()  # processed by a worker after the answer
    message = Message.objects.get(provider_sid=sid)
    assert message.processed_at is not None
    assert "\x00" not in message.body


def test_a_sender_that_is_not_a_phone_number_is_stored_as_given(client):
    params = inbound_params("HEALTHCO", "hello")
    _assert_empty_twiml(post_signed(client, INBOUND, params))
    assert Message.objects.get(provider_sid=params["MessageSid"]).phone.e164 == "HEALTHCO"


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_a_signed_request_without_message_sid_or_from_is_400_and_stores_nothing(client, missing):
    params = inbound_params("+13125550101", "YES")
    del params[missing]
    response = post_signed(client, INBOUND, params)
    assert response.status_code == 400
    assert missing in response.content.decode()
    assert not Message.objects.exists() and not PhoneNumber.objects.exists()


def test_a_signed_request_with_a_blank_from_is_400(client):
    response = post_signed(client, INBOUND, inbound_params("", "YES"))
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_the_webhook_needs_no_session_or_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    params = inbound_params("+13125550101", "HELP")
    _assert_empty_twiml(post_signed(client, INBOUND, params))
