"""SMS backends. `twilio` is the real SDK; `dev` records and plays Twilio's part (sid, sent,
delivered) through the same status-handling code, so the demo exercises the real paths."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# Twilio error codes (../shared/twilio/FACTS.md) and what they mean for us.
PER_NUMBER_OPTED_OUT = {"21610"}
PER_NUMBER_CANNOT_RECEIVE = {"21614", "21635", "30006"}
PER_NUMBER_OTHER = {"21211", "30003", "30004", "30005", "30007", "30008", "30036"}
SENDER_WIDE = {"20003", "30034", "21611", "20404", "21606", "21212"}


@dataclass(frozen=True)
class SendResult:
    ok: bool
    sid: str = ""
    status: str = ""
    error_code: str = ""
    error_message: str = ""
    transient: bool = False  # try again later (connection error, 429, 5xx)

    @property
    def sender_wide(self) -> bool:
        return self.error_code in SENDER_WIDE


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    validity_seconds: int | None  # None: the provider's default


class DevBackend:
    """Records messages and answers like Twilio's Messages resource would."""

    name = "dev"
    plays_provider = True

    def send(self, sms: OutgoingSms) -> SendResult:
        return SendResult(ok=True, sid="SM" + secrets.token_hex(16), status="queued")


class TwilioBackend:
    name = "twilio"
    plays_provider = False

    def __init__(self):
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        if settings.TWILIO_API_BASE_URL:
            # a local stand-in of Twilio's API (tests, benchmarks); empty = the real Twilio
            self.client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

    def send(self, sms: OutgoingSms) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

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
            kwargs["validity_period"] = max(1, min(36000, int(sms.validity_seconds)))
        try:
            msg = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code or "")
            transient = exc.status == 429 or exc.status >= 500 or code == "20429"
            return SendResult(
                ok=False, error_code=code or f"http{exc.status}", error_message=str(exc.msg)[:300], transient=transient
            )
        except TwilioException as exc:
            return SendResult(ok=False, error_code="twilio", error_message=str(exc)[:300], transient=True)
        except OSError as exc:  # connection refused, timeouts, DNS: requests' errors derive from it
            return SendResult(ok=False, error_code="network", error_message=exc.__class__.__name__, transient=True)
        return SendResult(ok=True, sid=msg.sid, status=msg.status or "queued")


_BACKENDS = {"dev": "messaging.backends.DevBackend", "twilio": "messaging.backends.TwilioBackend"}
_override = None


def get_backend():
    if _override is not None:
        return _override
    return import_string(_BACKENDS[settings.SMS_BACKEND])()


def set_backend(backend) -> None:
    """For tests and benchmarks: use this backend object instead of the configured one."""
    global _override
    _override = backend
