"""Build Twilio's webhook requests the way Twilio does: form-encoded, signed with
X-Twilio-Signature over PUBLIC_BASE_URL + path + query and every parameter Django will see."""

from __future__ import annotations

import contextlib
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from twilio.request_validator import RequestValidator

INBOUND = "/webhooks/twilio/inbound/"
STATUS = "/webhooks/twilio/status/"
FORM = "application/x-www-form-urlencoded"
CLINIC_NUMBER = "+13125550199"
ACCOUNT = "AC" + "0" * 32


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


class OneSidTwilio:
    """A backend whose every send Twilio accepts with the same, known sid (so a test can post that
    sid's status callback at the moment it chooses)."""

    plays_provider = False

    def __init__(self):
        self.sid = new_sid()

    def send(self, sms):
        from messaging.backends import SendResult

        return SendResult(ok=True, sid=self.sid, status="queued")


def sign(url: str, params) -> str:
    return RequestValidator(settings.WEBHOOK_AUTH_TOKEN).compute_signature(url, params)


def inbound_params(from_: str, body: str = "YES", sid: str | None = None, **extra) -> dict[str, str]:
    sid = sid or new_sid()
    params = {
        "ToCountry": "US", "ToState": "IL", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "CHICAGO",
        "FromZip": "60601", "SmsSid": sid, "FromState": "IL", "SmsStatus": "received", "FromCity": "CHICAGO",
        "Body": body, "FromCountry": "US", "To": CLINIC_NUMBER, "MessagingServiceSid": "MG" + "1" * 32,
        "ToZip": "60601", "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT, "From": from_,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def status_params(sid: str, status: str, error_code: str = "", **extra) -> dict[str, str]:
    params = {
        "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "AccountSid": ACCOUNT,
        "From": CLINIC_NUMBER, "To": "+13125550100", "MessagingServiceSid": "MG" + "1" * 32,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        params["ErrorCode"] = error_code
    params.update(extra)
    return params


def post_form(client, path: str, body: bytes | str, *, query: str = "", signature: str | None = "auto",
              base: str | None = None):
    """POST a raw form body; sign it over what Django will parse from it unless told otherwise."""
    target = path + (f"?{query}" if query else "")
    if signature == "auto":
        signature = sign((base or settings.PUBLIC_BASE_URL) + target, QueryDict(body))
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature is not None else {}
    return client.post(target, data=body, content_type=FORM, **headers)


def post_signed(client, path: str, params: dict[str, str], **kwargs):
    return post_form(client, path, urlencode(params), **kwargs)


def text_in(client, from_: str, body: str, **extra):
    """A patient's text arriving through the real webhook."""
    return post_signed(client, INBOUND, inbound_params(from_, body, **extra))


@contextlib.contextmanager
def real_twilio_backend(settings):
    """The real SDK backend (TwilioBackend) pointed at a local stand-in of Twilio's API, with a
    Messaging Service and a public https origin; yields the stand-in, which records each request."""
    from django.test import override_settings

    from bench.twilio_standin import StandIn
    from messaging import backends

    settings.PUBLIC_BASE_URL = "https://clinic.example"
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    with StandIn() as standin:
        with override_settings(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t",
                               TWILIO_API_BASE_URL=standin.url):
            backends.set_backend(backends.TwilioBackend())
        yield standin
