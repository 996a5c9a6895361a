"""SMS backends. `twilio` is the real SDK; `dev` records and plays Twilio's part (sid, sent,
delivered) through the same status-handling code, so the demo exercises the real paths."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from clinicbot.logging import mask_phones_in

log = logging.getLogger(__name__)

# Twilio error codes (../shared/twilio/FACTS.md) and what they mean for us.
PER_NUMBER_OPTED_OUT = {"21610"}
PER_NUMBER_CANNOT_RECEIVE = {"21614", "21635", "30006"}
PER_NUMBER_OTHER = {"21211", "30003", "30004", "30005", "30007", "30008", "30036"}
# Failures fully explained by the recipient: they never count towards the "different numbers in a
# row" streak that pauses the sender (an imported list full of landlines is not a sender problem).
PER_NUMBER_EXPLAINED = PER_NUMBER_OPTED_OUT | PER_NUMBER_CANNOT_RECEIVE | {"21211", "30004", "30005"}
SENDER_WIDE = {"20003", "30034", "21611", "20404", "21606", "21212"}

# Twilio's default keyword handling on a long code (FACTS.md): a whole body that is one of these words,
# in any case, is answered by Twilio itself, which after an opt-out also refuses our sends (21610).
# YES is a default opt-in word too, but it is our accept word: it is answered as an accept here.
DEFAULT_KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"), "STOP"),
    **dict.fromkeys(("START", "UNSTOP"), "START"),
    **dict.fromkeys(("HELP", "INFO"), "HELP"),
}


def default_keyword(body: str) -> str:
    """STOP, START or HELP when Twilio's default handling recognises the body as that kind of keyword."""
    return DEFAULT_KEYWORDS.get((body or "").strip().upper(), "")


# Seconds the SDK waits for Twilio. A connection that never opens is retried; one that opened and
# then timed out may have created the message, so its outcome is "unknown" (shown to staff).
HTTP_TIMEOUT = 15


@dataclass(frozen=True)
class SendResult:
    ok: bool
    sid: str = ""
    status: str = ""
    error_code: str = ""
    error_message: str = ""
    transient: bool = False  # certainly not sent; try again later (connection refused, 429, 5xx)
    unknown: bool = False  # the request may have reached Twilio: never resend without a human

    @property
    def sender_wide(self) -> bool:
        return self.error_code in SENDER_WIDE


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    validity_seconds: float | None  # None: the provider's default (10 h)


class DevBackend:
    """Records messages and answers like Twilio's Messages resource would."""

    name = "dev"
    plays_provider = True
    # nobody stands between the phone simulator and us to answer STOP or HELP: we do
    answers_default_keywords = False

    def send(self, sms: OutgoingSms) -> SendResult:
        return SendResult(ok=True, sid="SM" + secrets.token_hex(16), status="queued")


def _never_reached_twilio(exc: BaseException) -> bool:
    """True when the request certainly did not reach Twilio (so resending cannot double a text)."""
    import requests
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError | NameResolutionError)
    return isinstance(exc, ConnectionRefusedError)


class TwilioBackend:
    name = "twilio"
    plays_provider = False
    # every text asks for status callbacks: a delivered one, not the API's acceptance, shows the
    # sender works (messaging.services.message_send)
    reports_delivery = True
    answers_default_keywords = True

    def __init__(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT)
        )
        if settings.TWILIO_API_BASE_URL:
            # a local stand-in of Twilio's API (tests, benchmarks); empty = the real Twilio
            self.client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

    def request_kwargs(self, sms: OutgoingSms) -> dict:
        kwargs = {
            "to": sms.to,
            "body": sms.body,
            "status_callback": f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status/",
        }
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            kwargs["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            kwargs["from_"] = settings.TWILIO_FROM_NUMBER
        if sms.validity_seconds is not None:
            # Twilio accepts 1..36000 s; never round up past the offer's hold
            kwargs["validity_period"] = max(1, min(36000, int(sms.validity_seconds)))
        return kwargs

    def send(self, sms: OutgoingSms) -> SendResult:
        from twilio.base.exceptions import TwilioException

        try:
            msg = self.client.messages.create(**self.request_kwargs(sms))
        except TwilioException as exc:
            # TwilioRestException and (9.10+) TwilioServiceException both carry status and code
            status = getattr(exc, "status", None)
            code = str(getattr(exc, "code", "") or "")
            # Twilio's wording often quotes the number ("The 'To' number +1... is not a valid phone
            # number"); the text is stored and shown to staff, so it is masked as logs are
            text = mask_phones_in(str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or str(exc)))
            if not isinstance(status, int):
                return SendResult(ok=False, error_code=code or "twilio", error_message=str(text)[:300], unknown=True)
            if code == str(status):
                code = ""  # the SDK fills in the HTTP status when the body names no Twilio error code
            transient = status == 429 or status >= 500 or code == "20429"
            return SendResult(
                ok=False, error_code=code or f"http{status}", error_message=str(text)[:300], transient=transient
            )
        except OSError as exc:  # requests' errors derive from it
            if _never_reached_twilio(exc):
                return SendResult(ok=False, error_code="network", error_message=exc.__class__.__name__, transient=True)
            return SendResult(ok=False, error_code="network", error_message=exc.__class__.__name__, unknown=True)
        return SendResult(ok=True, sid=msg.sid, status=msg.status or "queued")


_BACKENDS = {"dev": "messaging.backends.DevBackend", "twilio": "messaging.backends.TwilioBackend"}
_override = None
_cached: dict[tuple, object] = {}


def get_backend():
    if _override is not None:
        return _override
    # one client per configuration, so a worker reuses its HTTP connection to Twilio
    key = (settings.SMS_BACKEND, settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE_URL)
    backend = _cached.get(key)
    if backend is None:
        backend = _cached[key] = import_string(_BACKENDS[settings.SMS_BACKEND])()
    return backend


def set_backend(backend) -> None:
    """For tests and benchmarks: use this backend object instead of the configured one."""
    global _override
    _override = backend
