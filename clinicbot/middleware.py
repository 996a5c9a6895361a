from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from clinicbot import clock

# Paths polled by the live board: they must not keep an idle staff session alive.
PASSIVE_PATH_MARK = "/poll/"
_KEY = "last_activity"


class IdleSessionTimeoutMiddleware:
    """Logs a staff user out after SESSION_IDLE_MINUTES without a deliberate request.

    The live board polls every few seconds; counting those polls as activity would keep an
    unattended front-desk screen logged in forever, so paths containing `/poll/` are passive: they
    are logged out like any other request once the session is idle, but never extend it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            idle = settings.SESSION_IDLE_MINUTES * 60
            last = request.session.get(_KEY)
            now = clock.now().timestamp()
            if last is not None and now - last > idle:
                logout(request)
            elif PASSIVE_PATH_MARK not in request.path:
                request.session[_KEY] = now
        return self.get_response(request)


# setup_roles creates this group (waitlist/management/commands/setup_roles.py; a test keeps them equal).
MANAGER_GROUP = "Manager"


def otp_required_for(user) -> bool:
    """Managers (and superusers, who can do more than managers) need a verified TOTP device."""
    if not settings.OTP_REQUIRED_FOR_MANAGERS or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=MANAGER_GROUP).exists()


class ManagerOTPMiddleware:
    """With OTP_REQUIRED_FOR_MANAGERS on, a manager's password-only session reaches nothing but the
    verify page and logout: every other page redirects there (a poll or API call gets a 403).
    Runs after django_otp's OTPMiddleware, which says whether this session verified a device."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and settings.OTP_REQUIRED_FOR_MANAGERS and otp_required_for(user):
            if not user.is_verified() and not self._exempt(request.path):
                if request.method != "GET" or PASSIVE_PATH_MARK in request.path or request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Second factor required: verify your authenticator."},
                                        status=403)
                verify = reverse("otp_verify")
                return HttpResponseRedirect(f"{verify}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path in (reverse("otp_verify"), reverse("admin:logout")) or path.startswith(
            ("/" + settings.STATIC_URL.lstrip("/"), "/healthz", "/readyz", "/webhooks/")
        )
