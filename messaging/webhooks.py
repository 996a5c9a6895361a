"""Twilio's webhooks. The signature check comes first; a signed request is always stored and
answered with empty TwiML (never a 500), and a repeated MessageSid changes nothing."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView
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


class _TwilioWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    required: tuple[str, ...] = ()

    @extend_schema(exclude=True)  # Twilio's callbacks, not part of the integration API
    def post(self, request, *args, **kwargs):
        django_request = request._request
        if not signature_valid(django_request):
            security_log.warning(
                "rejected unsigned or badly signed webhook on %s from %s",
                django_request.path,
                django_request.META.get("REMOTE_ADDR", "?"),
            )
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        params = {key: django_request.POST.get(key, "") for key in django_request.POST}
        missing = [name for name in self.required if not params.get(name)]
        if missing:
            return HttpResponse(f"Missing parameter: {', '.join(missing)}", status=400, content_type="text/plain")
        return self.handle_signed(params)

    def handle_signed(self, params: dict[str, str]) -> HttpResponse:
        raise NotImplementedError


class InboundWebhook(_TwilioWebhook):
    required = ("MessageSid", "From")

    def handle_signed(self, params):
        message, created = services.inbound_record(params=params)
        if created or message.processed_at is None:
            try:
                services.inbound_process(message_id=message.pk)
            except Exception:  # noqa: BLE001 - stored already; the sweeper retries it
                log.exception("processing inbound message %s failed; the sweeper will retry", message.pk)
        return twiml()


class StatusWebhook(_TwilioWebhook):
    required = ("MessageSid", "MessageStatus")

    def handle_signed(self, params):
        services.status_apply(
            sid=params["MessageSid"][:40],
            status=params["MessageStatus"],
            error_code=params.get("ErrorCode", ""),
            params=params,
        )
        return twiml()
