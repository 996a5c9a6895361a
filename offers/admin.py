"""Cancellations and offers in the staff console. Nothing here writes a row itself: every button
parses its input and calls one engine service with the staff member as the actor."""

from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from clinicbot.clock import now
from core.actors import Actor
from core.admin import ReadOnlyAdminMixin
from core.models import AuditEvent
from core.templatetags.console import local
from waitlist import admin as waitlist_admin

from . import services
from .admin_forms import FilledByPhoneForm, NextWaveForm
from .board_selectors import top_exclusion
from .models import Cancellation, Offer

WAVE_OUTCOMES = {
    "ended": (messages.WARNING, "This slot has already ended."),
    "sender-paused": (messages.ERROR, "Outreach is paused for the whole sender: no wave was sent."),
    "exhausted": (messages.WARNING, "Nobody eligible is left on the waitlist for this slot."),
    "cutoff": (messages.WARNING, "Too close to the slot's cutoff: no wave was sent."),
    "waiting-for-window": (messages.INFO, "Outside sending hours: the next wave goes when the window opens."),
    "lost-race": (messages.INFO, "Another wave started at the same moment."),
    "waiting-for-busy": (messages.INFO, "Everyone left is busy with another offer or resting: the engine tries again "
                                        "when the first of them is free."),
    "already-advanced": (messages.WARNING, "No wave was sent: the slot had already moved past the wave you saw "
                                           "(a second click, or someone else sent it). Check the offers below."),
}


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


@admin.register(Cancellation)
class CancellationAdmin(admin.ModelAdmin):
    list_display = ("slot", "provider", "location", "appointment_type", "status", "current_wave", "paused",
                    "ehr_state")
    list_filter = ("status", "end_reason", "paused", ("start_at", admin.DateFieldListFilter), "location",
                   "provider", "appointment_type")
    search_fields = ("provider__name", "location__name", "=external_id", "=id")
    list_select_related = ("provider", "location", "appointment_type")
    date_hierarchy = "start_at"
    change_form_template = "admin/offers/cancellation/detail.html"

    @admin.display(description="Slot (local time)", ordering="start_at")
    def slot(self, obj):
        return local(obj.start_at, obj.location)

    @admin.display(description="EHR")
    def ehr_state(self, obj):
        if obj.status != Cancellation.Status.FILLED:
            return "-"
        done = bool(obj.ehr_booked_at) + bool(obj.ehr_released_at)
        return f"{done}/2 ticked"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_delete_permission(self, request, obj=None):
        # a slot's history is evidence: it is withdrawn, never deleted
        return False

    def add_view(self, request, form_url="", extra_context=None):
        # one way to log a slot: the board's short form (local time, validated by the engine)
        return HttpResponseRedirect(reverse("admin:index") + "#log-cancellation")

    def get_urls(self):
        urls = [
            path("<int:object_id>/act/<str:action>/", self.admin_site.admin_view(self.act_view),
                 name="offers_cancellation_act"),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # the page is read-only: state changes only through the buttons (services)
            return HttpResponseNotAllowed(["GET"])
        c = self.get_object(request, object_id)
        if c is None:
            return super().change_view(request, object_id, form_url, extra_context)
        offers = list(
            c.offers.select_related("patient", "phone", "entry").order_by("wave", "-score", "pk")
        )
        context = {
            "title": f"Slot {local(c.start_at, c.location)}",
            "subtitle": None,
            "c": c,
            "waves": [(wave, list(group)) for wave, group in groupby(offers, key=lambda o: o.wave)],
            "can_act": self.has_change_permission(request, c),
            "active": c.status in Cancellation.ACTIVE,
            "filled": c.status == Cancellation.Status.FILLED,
            "filled_form": FilledByPhoneForm(),
            "next_wave_form": NextWaveForm(initial={"after_wave": c.current_wave}),
            "exclusions": sorted(((k, v) for k, v in (c.exclusion_summary or {}).items() if v), key=lambda kv: -kv[1]),
            "top_exclusion": top_exclusion(c.exclusion_summary),
            "chained": list(c.chained.all()),
            "now_ms": int(now().timestamp() * 1000),
            "overdue": c.filled_at is not None
            and (now() - c.filled_at).total_seconds() > settings.EHR_FOLLOWUP_OVERDUE_MINUTES * 60
            and not (c.ehr_booked_at and c.ehr_released_at),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if request.user.has_perm("core.view_auditevent"):
            offer_ids = [str(o.pk) for o in offers]
            context["history"] = AuditEvent.objects.filter(
                Q(object_type="offers.cancellation", object_id=str(c.pk))
                | Q(object_type="offers.offer", object_id__in=offer_ids)
            ).order_by("-at", "-id")[:60]
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    # --- the engine's staff actions ---------------------------------------------------------------

    def act_view(self, request, object_id: int, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        c = get_object_or_404(Cancellation, pk=object_id)
        if not self.has_change_permission(request, c):
            raise PermissionDenied
        handler = getattr(self, f"_act_{action}", None)
        if handler is None:
            raise Http404("No such action.")
        page = reverse("admin:offers_cancellation_change", args=[c.pk])
        actor = Actor.staff(request.user)
        try:
            redirect_to = handler(request, c, actor)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            redirect_to = None
        return HttpResponseRedirect(redirect_to or _safe_next(request, page))

    @staticmethod
    def _report(request, done: bool, yes: str, no: str) -> None:
        if done:
            messages.success(request, yes)
        else:
            messages.warning(request, no)

    def _act_withdraw(self, request, c, actor):
        done = services.cancellation_withdraw(cancellation_id=c.pk, actor=actor)
        self._report(request, done, "Slot withdrawn; patients with a pending offer were told.",
                     "The slot had already ended.")

    def _act_pause(self, request, c, actor):
        done = services.cancellation_pause(cancellation_id=c.pk, actor=actor)
        self._report(request, done, "Paused: pending offers stand, no new wave starts until you resume.",
                     "Not paused: the slot has ended or was already paused.")

    def _act_resume(self, request, c, actor):
        done = services.cancellation_resume(cancellation_id=c.pk, actor=actor)
        self._report(request, done, "Resumed.", "Not resumed: the slot has ended or was not paused.")

    def _act_next_wave(self, request, c, actor):
        form = NextWaveForm(request.POST)
        if not form.is_valid():
            raise ValidationError("This page was out of date: no wave was sent. Reload it and try again.")
        # the page's form always names the wave it showed; a request without one is sent as asked
        outcome = services.cancellation_next_wave_now(cancellation_id=c.pk, actor=actor,
                                                      after_wave=form.cleaned_data["after_wave"])
        if outcome.startswith("wave"):
            messages.success(request, f"Sent {outcome}.")
        else:
            level, text = WAVE_OUTCOMES.get(outcome, (messages.INFO, outcome))
            messages.add_message(request, level, text)

    def _act_filled_by_phone(self, request, c, actor):
        form = FilledByPhoneForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors.get("note", ["A note of at most 200 characters."]))
        done = services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=actor,
                                                          note=form.cleaned_data["note"])
        self._report(request, done, "Marked filled by phone; pending offers were told the slot is taken.",
                     "The slot had already ended.")

    def _act_ehr_booked(self, request, c, actor):
        done = services.cancellation_ehr_tick(cancellation_id=c.pk, which="booked", actor=actor)
        self._report(request, done, "Ticked: new visit booked in the EHR.", "Already ticked (or not filled).")

    def _act_ehr_released(self, request, c, actor):
        done = services.cancellation_ehr_tick(cancellation_id=c.pk, which="released", actor=actor)
        self._report(request, done, "Ticked: old visit released in the EHR.", "Already ticked (or not filled).")

    def _act_chain_fill(self, request, c, actor):
        new = services.cancellation_chain_fill(cancellation_id=c.pk, actor=actor)
        messages.success(request, format_html("The winner's old appointment is now slot {}: outreach starts.", new))
        return reverse("admin:offers_cancellation_change", args=[new.pk])

    def _act_withdraw_offer(self, request, c, actor):
        try:
            offer_id = int(request.POST.get("offer", ""))
        except ValueError:
            raise ValidationError("Choose an offer to withdraw.")
        if not c.offers.filter(pk=offer_id).exists():
            raise ValidationError("That offer is not part of this slot.")
        done = services.offer_withdraw(offer_id=offer_id, actor=actor)
        self._report(request, done, "Offer withdrawn; the patient was told.", "That offer was no longer pending.")


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "cancellation", "wave", "patient", "phone", "status", "score", "sent_at", "expires_at")
    list_filter = ("status", "wave", ("sent_at", admin.DateFieldListFilter))
    search_fields = ("patient__first_name", "patient__last_name", "=cancellation__id")
    list_select_related = ("cancellation__provider", "cancellation__location", "patient", "phone")
    readonly_fields = [f.name for f in Offer._meta.fields]
    actions = ["withdraw_offers"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("offers.change_offer"):
            actions.pop("withdraw_offers", None)
        return actions

    @admin.action(description="Withdraw selected pending offers (patients are told)")
    def withdraw_offers(self, request, queryset):
        if not request.user.has_perm("offers.change_offer"):
            raise PermissionDenied
        actor = Actor.staff(request.user)
        done = sum(services.offer_withdraw(offer_id=pk, actor=actor)
                   for pk in queryset.filter(status=Offer.Status.PENDING).values_list("pk", flat=True))
        messages.info(request, f"{done} offer(s) withdrawn.")


class EntryOfferInline(admin.TabularInline):
    """The patient's offers, shown on their waitlist entry (read-only)."""

    model = Offer
    fk_name = "entry"
    fields = ("cancellation_link", "wave", "status", "score", "sent_at", "expires_at", "responded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "offers made to this entry"
    ordering = ("-sent_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cancellation__provider", "cancellation__location")

    @admin.display(description="Slot")
    def cancellation_link(self, obj):
        url = reverse("admin:offers_cancellation_change", args=[obj.cancellation_id])
        return format_html('<a href="{}">{}</a>', url, obj.cancellation)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# waitlist never imports offers (apps depend one way), so the offers inline is attached from here
waitlist_admin.WaitlistEntryAdmin.inlines = [*waitlist_admin.WaitlistEntryAdmin.inlines, EntryOfferInline]
