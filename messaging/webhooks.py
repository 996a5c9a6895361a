"""Twilio's webhooks. The signature check comes first; a signed request is always stored and
answered with empty TwiML (never a 500), and a repeated MessageSid changes nothing. An inbound text
is acted on by a worker after the answer (docs/SMS.md)."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from . import services

log = logging.getLogger(__name__)
security_log = logging.getLogger("clinicbot.security")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def public_url(request) -> str:
    """The URL as Twilio requested it: the configured public origin plus path and query (behind a
    TLS proxy Django itself sees http://, which would never match)."""
    return settings.PUBLIC_BASE_URL + request.get_full_path()


def signature_valid(request) -> bool:
    if not settings.WEBHOOK_SIGNATURE_CHECK and settings.DEBUG:
        return True
    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    token = settings.WEBHOOK_AUTH_TOKEN
    if not signature or not token:
        return False
    return RequestValidator(token).validate(public_url(request), request.POST, signature)


def twiml(status: int = 200) -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml", status=status)


def _signed_webhook(required: tuple[str, ...]):
    """Wrap a handler of a signed Twilio webhook: POST only, no CSRF (Twilio has no token; the
    signature is the check), signature first, then the required parameters.

    Plain Django views rather than DRF: DRF's request wrapping, content negotiation and parsers cost
    CPU on every webhook and bring nothing to a form-encoded POST (docs/PERFORMANCE.md, section 1)."""

    def decorate(handler):
        @csrf_exempt
        @require_POST
        @functools.wraps(handler)
        def view(request):
            if not signature_valid(request):
                security_log.warning(
                    "rejected unsigned or badly signed webhook on %s from %s",
                    request.path,
                    request.META.get("REMOTE_ADDR", "?"),
                )
                return HttpResponse("Forbidden", status=403, content_type="text/plain")
            params = {key: request.POST.get(key, "") for key in request.POST}
            missing = [name for name in required if not params.get(name)]
            if missing:
                return HttpResponse(f"Missing parameter: {', '.join(missing)}", status=400, content_type="text/plain")
            return handler(params)

        return view

    return decorate


@_signed_webhook(required=("MessageSid", "From"))
def inbound_webhook(params: dict[str, str]) -> HttpResponse:
    # store and answer: the text is acted on by a worker after commit (an opt-out here and now)
    services.inbound_receive(params=params)
    return twiml()


@_signed_webhook(required=("MessageSid", "MessageStatus"))
def status_webhook(params: dict[str, str]) -> HttpResponse:
    services.status_apply(
        sid=params["MessageSid"][:40],
        status=params["MessageStatus"],
        error_code=params.get("ErrorCode", ""),
        params=params,
    )
    return twiml()
