"""The second-factor page managers see when OTP_REQUIRED_FOR_MANAGERS is on (clinicbot.middleware)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm

from .actors import Actor
from .services import audit_record


class TotpVerifyForm(OTPTokenForm):
    """django-otp's token form; with a single registered device, that device is the one."""

    def __init__(self, user, request=None, *args, **kwargs):
        super().__init__(user, request, *args, **kwargs)
        self.devices = list(devices_for_user(user))
        if len(self.devices) == 1:
            self.fields["otp_device"].required = False
            self.fields["otp_device"].initial = self.devices[0].persistent_id

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None and len(self.devices) == 1:
            device = self.devices[0]
        return device


@never_cache
@login_required
def otp_verify(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if getattr(request.user, "is_verified", lambda: False)():
        return HttpResponseRedirect(next_url)
    form = TotpVerifyForm(request.user, request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, request.user.otp_device)
            audit_record(actor=Actor.staff(request.user), action="auth.otp_verified", obj=request.user)
            return HttpResponseRedirect(next_url)
        audit_record(actor=Actor.staff(request.user), action="auth.otp_failed", obj=request.user)
    context = {
        **admin.site.each_context(request),
        "title": "Verify your authenticator",
        "form": form,
        "has_device": bool(form.devices),
        "next": next_url,
        "is_nav_sidebar_enabled": False,
        "required": settings.OTP_REQUIRED_FOR_MANAGERS,
    }
    return TemplateResponse(request, "core/otp_verify.html", context)
