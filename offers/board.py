"""The staff console's admin site. Its index is the live board: what every open slot is doing and
what needs a person, refreshed in place by a small script polling `board/poll/` (a path the idle
session timeout ignores, so a board left open does not keep a session alive)."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from clinicbot.clock import now
from core.actors import Actor
from core.templatetags.console import local
from messaging import services as messaging
from waitlist.models import AppointmentType

from . import board_selectors, services
from .admin_forms import LogCancellationForm, add_service_errors

# name -> template of each part of the board the poll refreshes
SECTIONS = {
    "counts": "admin/offers/board/_counts.html",
    "sender": "admin/offers/board/_sender.html",
    "open": "admin/offers/board/_open.html",
    "pending": "admin/offers/board/_pending.html",
    "ehr": "admin/offers/board/_ehr.html",
    "attention": "admin/offers/board/_attention.html",
    "unfilled": "admin/offers/board/_unfilled.html",
    "optouts": "admin/offers/board/_optouts.html",
}
POLL_MS = 4000


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


class StaffAdminSite(admin.AdminSite):
    site_header = "clinicbot staff console"
    site_title = "clinicbot"
    index_title = "Live board"
    site_url = None  # there is no public site to "view"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def in_clinic_time(request, *args, **kwargs):
            # the console shows and reads times as the clinic's clock says them, not UTC
            with timezone.override(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)):
                response = inner(request, *args, **kwargs)
                if not getattr(response, "is_rendered", True):
                    response.render()  # a TemplateResponse renders after the view: do it in clinic time
                return response

        return in_clinic_time

    def each_context(self, request):
        context = super().each_context(request)
        context["simulator_enabled"] = settings.SMS_BACKEND == "dev"
        if request.user.is_authenticated:
            from .import_view import allowed_kinds

            context["can_import"] = bool(allowed_kinds(request.user))
        return context

    def get_urls(self):
        from messaging import simulator

        from . import import_view, metrics_view

        wrap = self.admin_view
        urls = [
            path("board/poll/", wrap(self.board_poll), name="board_poll"),
            path("board/cancellation/", wrap(self.board_log_cancellation), name="board_log_cancellation"),
            path("board/sender/resume/", wrap(self.board_sender_resume), name="board_sender_resume"),
            path("board/message/<int:message_id>/clear/", wrap(self.board_message_clear), name="board_message_clear"),
            path("metrics/", wrap(metrics_view.metrics), name="metrics"),
            path("import/", wrap(import_view.import_csv), name="import_csv"),
            *simulator.urlpatterns(self),
        ]
        return urls + super().get_urls()

    # --- pages ----------------------------------------------------------------------------------

    def index(self, request, extra_context=None):
        if not request.user.has_perm("offers.view_board"):
            return super().index(request, extra_context)
        return self._board(request, self._blank_form())

    def _blank_form(self) -> LogCancellationForm:
        today = now().astimezone(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)).date()
        default_type = AppointmentType.objects.filter(code=settings.DEFAULT_APPOINTMENT_TYPE).first()
        return LogCancellationForm(initial={"date": today, "appointment_type": default_type})

    def _board_context(self, request) -> dict:
        board = board_selectors.board_snapshot()
        return {
            "board": board,
            "counts": board.counts,
            "now_ms": int(board.at.timestamp() * 1000),
            "overdue_minutes": settings.EHR_FOLLOWUP_OVERDUE_MINUTES,
            "board_url": reverse("admin:index"),
        }

    def _board(self, request, form, status=200):
        context = {
            **self.each_context(request),
            **self._board_context(request),
            "title": self.index_title,
            "subtitle": None,
            "form": form,
            "poll_url": reverse("admin:board_poll"),
            "poll_ms": POLL_MS,
            "app_list": self.get_app_list(request),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/offers/board.html", context, status=status)

    def board_poll(self, request):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        _need(request, "offers.view_board")
        context = self._board_context(request)
        sections = {name: render_to_string(tpl, context, request=request) for name, tpl in SECTIONS.items()}
        return JsonResponse({"now_ms": context["now_ms"], "counts": context["counts"], "sections": sections})

    # --- actions --------------------------------------------------------------------------------

    def board_log_cancellation(self, request):
        _need(request, "offers.add_cancellation")
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:index") + "#log-cancellation")
        form = LogCancellationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                c = services.cancellation_create(
                    actor=Actor.staff(request.user), provider=data["provider"], location=data["location"],
                    appointment_type=data["appointment_type"], start_at=data["start_at"],
                    duration_minutes=data["duration_minutes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                url = reverse("admin:offers_cancellation_change", args=[c.pk])
                messages.success(request, format_html(
                    'Logged <a href="{}">{} with {}</a>: outreach starts now or when the sending window opens.',
                    url, local(c.start_at, c.location), c.provider))
                return HttpResponseRedirect(reverse("admin:index"))
        return self._board(request, form)

    def board_sender_resume(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _need(request, "messaging.change_senderhealth")
        if messaging.sender_resume(actor=Actor.staff(request.user)):
            messages.success(request, "Outreach resumed for the whole sender.")
        else:
            messages.info(request, "Outreach was not paused.")
        return HttpResponseRedirect(reverse("admin:index"))

    def board_message_clear(self, request, message_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _need(request, "messaging.change_phonenumber")
        if messaging.message_flag_clear(message_id=message_id, actor=Actor.staff(request.user)):
            messages.success(request, "Marked as handled.")
        else:
            messages.info(request, "That text was already handled.")
        return HttpResponseRedirect(reverse("admin:index") + "#attention")
