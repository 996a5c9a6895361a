"""The patient phone simulator (development only: SMS_BACKEND=dev).

Pick a number, see its thread as the phone would, type a reply. The reply is not a shortcut into
the services: it is a Twilio-style form POST, signed with the webhook token exactly as Twilio signs
(`RequestValidator.compute_signature(url, params)`), handed to the view that serves
`/webhooks/twilio/inbound/`, so the signature check, storage, parsing and the engine all run as for
a real text. It is built in-process rather than sent over the network: a single-threaded server
would otherwise wait on itself."""

from __future__ import annotations

import io
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, resolve, reverse
from twilio.request_validator import RequestValidator

from .models import Message, PhoneNumber

INBOUND_PATH_NAME = "messaging:inbound"
CLINIC_NUMBER = "+15550100000"  # the "To" of simulated texts when no real sender is configured
THREAD_LIMIT = 40
POLL_MS = 2000


def enabled() -> bool:
    # Development only: with DEBUG off SMS_BACKEND=dev is allowed (demos, CI), but there the page
    # would show threads with no access record, and with a real TWILIO_AUTH_TOKEN configured it would
    # sign made-up patient texts with it
    return settings.SMS_BACKEND == "dev" and (settings.DEBUG or settings.TESTING) and not settings.TWILIO_AUTH_TOKEN


def deliver_inbound(*, from_e164: str, body: str) -> int:
    """Play Twilio delivering a text from this number to the inbound webhook. Returns the
    webhook's HTTP status (200 when it was accepted)."""
    if not enabled():
        raise PermissionDenied("The phone simulator only runs in development (DEBUG, SMS_BACKEND=dev, no Twilio token).")
    webhook_path = reverse(INBOUND_PATH_NAME)
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "SmsSid": "",
        "AccountSid": settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
        "From": from_e164,
        "To": settings.TWILIO_FROM_NUMBER or CLINIC_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    params["SmsSid"] = params["MessageSid"]
    url = settings.PUBLIC_BASE_URL + webhook_path
    signature = RequestValidator(settings.WEBHOOK_AUTH_TOKEN).compute_signature(url, params)
    payload = urlencode(params).encode()
    request = WSGIRequest({
        "REQUEST_METHOD": "POST",
        "PATH_INFO": webhook_path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(payload)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_TWILIO_SIGNATURE": signature,
        "wsgi.input": io.BytesIO(payload),
        "wsgi.url_scheme": "http",
    })
    match = resolve(webhook_path)
    response = match.func(request, *match.args, **match.kwargs)
    if hasattr(response, "render"):
        response.render()
    return response.status_code


# --- views (mounted by the staff admin site) ------------------------------------------------------------


def _guard(request) -> None:
    if not enabled():
        raise Http404("The phone simulator only runs in development (DEBUG, SMS_BACKEND=dev, no Twilio token).")
    if not request.user.has_perm("messaging.view_phonenumber"):
        raise PermissionDenied


def _thread(phone: PhoneNumber) -> list[Message]:
    """What the phone itself has seen: texts it sent, and our texts that actually went out."""
    rows = list(
        Message.objects.filter(phone=phone)
        .exclude(direction=Message.Direction.OUTBOUND, send_state__in=[Message.SendState.QUEUED,
                                                                        Message.SendState.FAILED])
        .order_by("-created_at", "-id")[:THREAD_LIMIT]
    )
    rows.reverse()
    return rows


def _thread_html(request, phone: PhoneNumber) -> str:
    return render_to_string("admin/messaging/simulator/_thread.html", {"rows": _thread(phone)}, request=request)


def index(request, phone_id: int | None = None):
    _guard(request)
    picked = request.GET.get("phone", "")
    if phone_id is None and picked.isdigit():
        return HttpResponseRedirect(reverse("admin:simulator_phone", args=[int(picked)]))
    phones = PhoneNumber.objects.prefetch_related("patients").order_by("e164")[:200]
    phone = get_object_or_404(PhoneNumber, pk=phone_id) if phone_id else None
    context = {
        **_site_context(request),
        "title": "Patient phone simulator",
        "phones": phones,
        "phone": phone,
        "thread_html": _thread_html(request, phone) if phone else "",
        "poll_ms": POLL_MS,
    }
    return TemplateResponse(request, "admin/messaging/simulator/index.html", context)


def poll(request, phone_id: int):
    _guard(request)
    phone = get_object_or_404(PhoneNumber, pk=phone_id)
    return JsonResponse({"html": _thread_html(request, phone)})


def send(request, phone_id: int):
    _guard(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    phone = get_object_or_404(PhoneNumber, pk=phone_id)
    body = (request.POST.get("body") or "").strip()[:1600]
    if not body:
        messages.error(request, "Type a text first.")
    else:
        status = deliver_inbound(from_e164=phone.e164, body=body)
        if status != 200:
            messages.error(request, f"The webhook refused the simulated text (HTTP {status}): check "
                                    "PUBLIC_BASE_URL matches the address you are using.")
    return HttpResponseRedirect(reverse("admin:simulator_phone", args=[phone.pk]))


def _site_context(request) -> dict:
    from django.contrib import admin

    return admin.site.each_context(request)


def urlpatterns(site) -> list:
    wrap = site.admin_view
    return [
        path("simulator/", wrap(index), name="simulator"),
        path("simulator/<int:phone_id>/", wrap(index), name="simulator_phone"),
        path("simulator/<int:phone_id>/poll/", wrap(poll), name="simulator_poll"),
        path("simulator/<int:phone_id>/send/", wrap(send), name="simulator_send"),
    ]
