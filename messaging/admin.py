"""Numbers, consent and messages in the staff console.

Messages are read-only for everyone, superusers included: the outbox and inbound log are evidence.
The only write staff make here is answering a flagged text with an approved template
(`staff_replies.staff_reply_send`), which is logged in the audit trail."""

from __future__ import annotations

import csv
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html_join

from clinicbot.clock import now
from core.actors import Actor
from core.admin import ReadOnlyAdminMixin
from core.admin_mixins import PhiAccessLoggedMixin, phi_export_record

from .models import ConsentEvent, Message, PhoneNumber, SenderHealth
from .staff_replies import STAFF_TEMPLATES, staff_reply_send

THREAD_LIMIT = 60
LAST4 = re.compile(r"^\d{4}$")


def texting_state(phone: PhoneNumber) -> str:
    if phone.opted_out:
        return f"opted out ({phone.opted_out_source or 'unknown source'})"
    if phone.cannot_receive:
        return f"cannot receive texts ({phone.cannot_receive_reason})"
    if phone.consent_at is None:
        return "no consent recorded"
    return f"can be texted (consent: {phone.get_consent_source_display() or '-'})"


def render_thread(phone: PhoneNumber, *, limit: int = THREAD_LIMIT) -> str:
    """The number's messages, oldest first, as a read-only table (shared by several admin pages)."""
    rows = list(Message.objects.filter(phone=phone).select_related("patient").order_by("-created_at", "-id")[:limit])
    rows.reverse()
    return render_to_string("admin/messaging/_thread.html", {"rows": rows, "limit": limit, "phone": phone})


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    fields = ("at", "kind", "source", "consent_source", "disclosure_version", "recorded_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "consent history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffReplyForm(forms.Form):
    message = forms.ModelChoiceField(queryset=Message.objects.none(), label="Answering")
    template = forms.ChoiceField(choices=list(STAFF_TEMPLATES.items()), label="Approved reply")

    def __init__(self, *args, phone: PhoneNumber, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].queryset = flagged_texts(phone)
        self.fields["message"].label_from_instance = lambda m: f"{m.created_at:%b %d %H:%M}: {m.body[:60]}"


def flagged_texts(phone: PhoneNumber):
    return Message.objects.filter(
        phone=phone, direction=Message.Direction.INBOUND, attention_cleared_at__isnull=True
    ).exclude(needs_attention="").order_by("-created_at")


@admin.register(PhoneNumber)
class PhoneNumberAdmin(PhiAccessLoggedMixin, admin.ModelAdmin):
    phi_access_what = "message_thread"
    list_display = ("masked", "texting", "consent_at", "consent_source", "opted_out", "wrong_number_flagged",
                    "shared_by")
    list_filter = ("opted_out", "cannot_receive", "wrong_number_flagged", "consent_source")
    search_fields = ("=e164", "patients__first_name", "patients__last_name")
    change_form_template = "admin/messaging/phonenumber/change_form.html"
    inlines = [ConsentEventInline]
    fieldsets = [
        (None, {"fields": ("masked", "texting", "patients_sharing")}),
        ("Consent", {"fields": ("consent_at", "consent_source", "consent_recorded_by", "consent_disclosure_version",
                                "opted_out", "opted_out_at", "opted_out_source", "cannot_receive",
                                "cannot_receive_reason", "wrong_number_flagged", "welcomed_at")}),
        ("Messages", {"fields": ("thread",)}),
    ]
    readonly_fields = ("masked", "texting", "patients_sharing", "thread", "consent_at", "consent_source",
                       "consent_recorded_by", "consent_disclosure_version", "opted_out", "opted_out_at",
                       "opted_out_source", "cannot_receive", "cannot_receive_reason", "wrong_number_flagged",
                       "welcomed_at")

    @admin.display(description="Number", ordering="e164")
    def masked(self, obj):
        return obj.masked

    @admin.display(description="Texting")
    def texting(self, obj):
        return texting_state(obj)

    @admin.display(description="Shared by")
    def shared_by(self, obj):
        return obj.patients.count()

    @admin.display(description="Who uses this number")
    def patients_sharing(self, obj):
        patients = list(obj.patients.all())
        if not patients:
            return "No patient (an unknown sender)."
        return format_html_join(
            ", ", '<a href="{}">{}</a> ({})',
            ((reverse("admin:waitlist_patient_change", args=[p.pk]), str(p), p.get_relationship_display())
             for p in patients),
        )

    @admin.display(description="Thread")
    def thread(self, obj):
        return render_thread(obj)

    def get_search_results(self, request, queryset, search_term):
        qs, distinct = super().get_search_results(request, queryset, search_term)
        if LAST4.match(search_term.strip()):
            qs = qs | queryset.filter(e164__endswith=search_term.strip())
        return qs, True

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("<int:object_id>/reply/", self.admin_site.admin_view(self.reply_view),
                 name="messaging_phonenumber_reply"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])  # nothing on this page is edited in place
        phone = self.get_object(request, object_id)
        context = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
                   "show_delete": False}
        if phone is not None and request.user.has_perm("messaging.change_phonenumber"):
            context["reply_form"] = StaffReplyForm(phone=phone)
            context["has_flagged"] = flagged_texts(phone).exists()
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def reply_view(self, request, object_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("messaging.change_phonenumber"):
            raise PermissionDenied
        phone = get_object_or_404(PhoneNumber, pk=object_id)
        form = StaffReplyForm(request.POST, phone=phone)
        if not form.is_valid():
            messages.error(request, "Choose the flagged text and one of the approved replies.")
        else:
            try:
                staff_reply_send(message_id=form.cleaned_data["message"].pk, template=form.cleaned_data["template"],
                                 actor=Actor.staff(request.user))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Sent \u201c{STAFF_TEMPLATES[form.cleaned_data['template']]}\u201d "
                                          "and marked the text handled.")
        return HttpResponseRedirect(reverse("admin:messaging_phonenumber_change", args=[phone.pk]) + "#reply")


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "phone", "kind", "source", "consent_source", "disclosure_version", "recorded_by")
    list_filter = ("kind", "source", ("at", admin.DateFieldListFilter))
    list_select_related = ("phone",)
    date_hierarchy = "at"


class ErrorCodeFilter(admin.SimpleListFilter):
    title = "error code"
    parameter_name = "error_code"

    def lookups(self, request, model_admin):
        codes = (Message.objects.exclude(error_code="").order_by("error_code")
                 .values_list("error_code", flat=True).distinct()[:50])
        return [("any", "Any error"), *((c, c) for c in codes)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(error_code="")
        if value:
            return queryset.filter(error_code=value)
        return queryset


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs a person"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("open", "Flagged, not handled"), ("handled", "Flagged, handled")]

    def queryset(self, request, queryset):
        flagged = queryset.exclude(needs_attention="")
        if self.value() == "open":
            return flagged.filter(attention_cleared_at__isnull=True)
        if self.value() == "handled":
            return flagged.filter(attention_cleared_at__isnull=False)
        return queryset


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


EXPORT_COLUMNS = ["id", "created_at", "direction", "number", "patient_id", "kind", "template", "template_version",
                  "language", "segments", "send_state", "status", "error_code", "intent", "needs_attention",
                  "attention_cleared_at", "sent_at", "body"]


@admin.register(Message)
class MessageAdmin(PhiAccessLoggedMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "direction", "number", "patient", "kind", "short_body", "send_state", "status",
                    "error_code", "needs_attention")
    list_filter = ("direction", "send_state", "status", ("created_at", admin.DateFieldListFilter), ErrorCodeFilter,
                   NeedsAttentionFilter, "kind")
    search_fields = ("=provider_sid", "=phone__e164", "patient__last_name")
    list_select_related = ("phone", "patient")
    date_hierarchy = "created_at"
    change_list_template = "admin/messaging/message/change_list.html"
    show_full_result_count = False
    readonly_fields = [f.name for f in Message._meta.fields if f.name != "raw_params"]
    exclude = ("raw_params",)

    @admin.display(description="Number", ordering="phone__e164")
    def number(self, obj):
        return obj.phone.masked

    @admin.display(description="Text")
    def short_body(self, obj):
        return (obj.body[:60] + "…") if len(obj.body) > 60 else obj.body

    def get_search_results(self, request, queryset, search_term):
        qs, distinct = super().get_search_results(request, queryset, search_term)
        if LAST4.match(search_term.strip()):
            qs = qs | queryset.filter(phone__e164__endswith=search_term.strip())
        return qs, distinct

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.export_view), name="messaging_message_export"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_export": request.user.has_perm("messaging.export_messages")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def export_view(self, request):
        """The list as CSV, with the filters currently applied. Numbers are masked; the export itself
        is recorded as a PHI access."""
        if not request.user.has_perm("messaging.export_messages"):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # a hand-edited or stale export link: back to the list, which says so (as Django's own does)
            return HttpResponseRedirect(f"{reverse('admin:messaging_message_changelist')}?{ERROR_FLAG}=1")
        queryset = changelist.get_queryset(request).select_related("phone").order_by("created_at", "id")
        count = queryset.count()
        phi_export_record(request, what="messages", count=count, object_type="messaging.message",
                          note=request.META.get("QUERY_STRING", "")[:200])
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(EXPORT_COLUMNS)
            for m in queryset.iterator(chunk_size=2000):
                yield writer.writerow([_cell(v) for v in (
                    m.pk, m.created_at.isoformat(), m.direction, m.phone.masked, m.patient_id, m.kind, m.template,
                    m.template_version, m.language, m.segments, m.send_state, m.status, m.error_code, m.intent,
                    m.needs_attention, m.attention_cleared_at.isoformat() if m.attention_cleared_at else "",
                    m.sent_at.isoformat() if m.sent_at else "", m.body,
                )])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="messages-{now():%Y%m%d-%H%M}.csv"'
        return response


@admin.register(SenderHealth)
class SenderHealthAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Resume lives on the board (one button, through `sender_resume`)."""

    list_display = ("__str__", "paused", "paused_reason", "paused_at", "failure_streak", "resumed_by")
