"""The waitlist in the staff console. Patients and entries are saved through `waitlist.services`
(which refresh the stored priority, send the welcome text and write the audit record); reference
data (locations, providers, visit types) is saved by Django with an audit record beside it."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.actors import Actor
from core.admin import AuditedAdminMixin
from core.admin_mixins import PhiAccessLoggedMixin
from core.templatetags.console import breakdown
from messaging.admin import render_thread, texting_state
from messaging.models import PhoneNumber
from messaging.phones import normalize_phone

from . import services
from .models import AppointmentType, ClosureDate, Location, Patient, Provider, ProviderKind, WaitlistEntry
from .validators import validate_year

LAST4 = re.compile(r"^\d{4}$")


def _search_last4(queryset, model_queryset, term: str, phone_path: str):
    """Front desks find a caller by the last four digits of their number."""
    term = term.strip()
    if LAST4.match(term):
        return queryset | model_queryset.filter(**{f"{phone_path}__endswith": term})
    return queryset


# --- reference data ------------------------------------------------------------------------------


class ClosureDateInline(admin.TabularInline):
    model = ClosureDate
    extra = 0


@admin.register(Location)
class LocationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "sms_name", "time_zone", "cutoff_minutes", "discreet")
    search_fields = ("name", "sms_name", "=external_id")
    inlines = [ClosureDateInline]


@admin.register(AppointmentType)
class AppointmentTypeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "default_minutes")
    search_fields = ("name", "code")


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "sms_name", "kind", "active")
    list_filter = ("active", "kind", "locations", "appointment_types")
    search_fields = ("name", "sms_name", "=external_id")
    filter_horizontal = ("locations", "appointment_types")


# --- patients --------------------------------------------------------------------------------------


class PatientForm(forms.ModelForm):
    phone_number = forms.CharField(label="Mobile number", max_length=40,
                                   help_text="The number offers go to; a family may share one.")
    consent_source = forms.ChoiceField(
        label="SMS consent", required=False,
        choices=[("", "Not recorded now")] + [
            (value, label) for value, label in PhoneNumber.ConsentSource.choices if value in ("written", "verbal", "portal")
        ],
        help_text="Records consent for this number if it has none yet. An opt-out is never lifted here.",
    )

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "phone_number", "relationship", "language", "external_id",
                  "consent_source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["phone_number"].initial = self.instance.phone.e164

    def clean_phone_number(self):
        return normalize_phone(self.cleaned_data["phone_number"])


class EntryInline(admin.TabularInline):
    model = WaitlistEntry
    fields = ("appointment_type", "priority", "urgent", "active", "inactive_reason", "joined_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "waitlist entries"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(PhiAccessLoggedMixin, admin.ModelAdmin):
    form = PatientForm
    list_display = ("__str__", "number", "relationship", "language", "texting", "external_id")
    list_filter = ("language", "relationship", "phone__opted_out")
    search_fields = ("first_name", "last_name", "=external_id")
    list_select_related = ("phone",)
    readonly_fields = ("texting", "thread", "created_at")
    inlines = [EntryInline]

    def get_fieldsets(self, request, obj=None):
        main = ("first_name", "last_name", "phone_number", "relationship", "language", "external_id")
        if obj is None:
            return [(None, {"fields": (*main, "consent_source")})]
        return [
            (None, {"fields": main}),
            ("Texting", {"fields": ("texting", "consent_source")}),
            ("Messages with this number", {"fields": ("thread",)}),
        ]

    @admin.display(description="Number", ordering="phone__e164")
    def number(self, obj):
        return obj.phone.masked

    @admin.display(description="Texting")
    def texting(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:messaging_phonenumber_change", args=[obj.phone_id])
        return format_html('{} · <a href="{}">consent history and who shares it</a>', texting_state(obj.phone), url)

    @admin.display(description="Thread")
    def thread(self, obj):
        return render_thread(obj.phone) if obj.pk else "-"

    def get_search_results(self, request, queryset, search_term):
        qs, distinct = super().get_search_results(request, queryset, search_term)
        return _search_last4(qs, queryset, search_term, "phone__e164"), distinct

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        patient, _ = services.patient_upsert(
            actor=Actor.staff(request.user),
            first_name=data["first_name"], last_name=data["last_name"], phone=data["phone_number"],
            relationship=data["relationship"], language=data["language"], external_id=data.get("external_id") or None,
            consent_source=data.get("consent_source") or "",
            patient=Patient.objects.get(pk=obj.pk) if change else None, replace_external_id=change,
        )
        obj.pk, obj.phone = patient.pk, patient.phone
        obj.created_at = patient.created_at

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)


# --- entries ---------------------------------------------------------------------------------------

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
ENTRY_FORM_FIELDS = [
    "appointment_type", "visit_minutes", "urgent", "manual_boost", "boost_reason", "current_appointment_at",
    "current_appointment_provider", "current_appointment_location", "ready_from", "earliest_time", "latest_time",
    "min_notice_hours", "notes", "external_id",
]


class WaitlistEntryForm(forms.ModelForm):
    provider_kinds = forms.MultipleChoiceField(
        choices=ProviderKind.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Empty: any kind of provider",
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Empty: any day",
    )

    class Meta:
        model = WaitlistEntry
        fields = ["patient", *ENTRY_FORM_FIELDS, "providers", "locations"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider_kinds"].initial = services.mask_to_kinds(self.instance.provider_kinds_mask)
        self.fields["weekdays"].initial = services.mask_to_weekdays(self.instance.weekdays_mask)
        # the years the API and the imports accept (0001 for 2001 is a slip, not a date)
        for name in ("current_appointment_at", "ready_from"):
            self.fields[name].validators.append(validate_year)

    def clean(self):
        data = super().clean()
        if data.get("manual_boost") and not (data.get("boost_reason") or "").strip():
            self.add_error("boost_reason", "Say why this patient is boosted.")
        return data


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("unresponsive", "Unresponsive (deactivated)"),
                ("missed", "Active, missed recent offers"), ("inactive", "Inactive (any reason)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "active":
            return queryset.filter(active=True)
        if value == "unresponsive":
            return queryset.filter(active=False, inactive_reason=WaitlistEntry.InactiveReason.UNRESPONSIVE)
        if value == "missed":
            return queryset.filter(active=True, consecutive_no_reply__gt=0)
        if value == "inactive":
            return queryset.filter(active=False)
        return queryset


class TextingFilter(admin.SimpleListFilter):
    title = "texting"
    parameter_name = "texting"

    def lookups(self, request, model_admin):
        return [("ok", "Can be texted"), ("opted_out", "Opted out"), ("no_consent", "No consent"),
                ("cannot_receive", "Cannot receive texts")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "ok":
            return queryset.filter(patient__phone__consent_at__isnull=False, patient__phone__opted_out=False,
                                   patient__phone__cannot_receive=False)
        if value == "opted_out":
            return queryset.filter(patient__phone__opted_out=True)
        if value == "no_consent":
            return queryset.filter(patient__phone__consent_at__isnull=True)
        if value == "cannot_receive":
            return queryset.filter(patient__phone__cannot_receive=True)
        return queryset


MAX_ID = 2**63 - 1  # the largest id a database column (bigint) holds


class _PreferenceFilter(admin.SimpleListFilter):
    """Entries that would accept a slot with this provider/location: no preference, or this one."""

    model = None
    flag = ""
    relation = ""

    def lookups(self, request, model_admin):
        return [(str(o.pk), str(o)) for o in self.model.objects.all()]

    def queryset(self, request, queryset):
        # isdecimal, not isdigit: "²" is a digit that int() refuses
        if not self.value() or not self.value().isdecimal():
            return queryset
        pk = int(self.value())
        if pk > MAX_ID:
            # no row has it, and the database cannot even compare it (a 500 otherwise)
            return queryset
        return queryset.filter(Q(**{self.flag: False}) | Q(**{self.relation: pk})).distinct()


class ProviderFilter(_PreferenceFilter):
    title = "would see provider"
    parameter_name = "provider"
    model = Provider
    flag = "has_provider_prefs"
    relation = "providers"


class LocationFilter(_PreferenceFilter):
    title = "would go to location"
    parameter_name = "location"
    model = Location
    flag = "has_location_prefs"
    relation = "locations"


class BoostForm(forms.Form):
    amount = forms.IntegerField(min_value=0, max_value=40, help_text="0 to 40 points; 0 removes a boost")
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"size": 60}))

    def clean(self):
        data = super().clean()
        if data.get("amount") and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why this patient is boosted.")
        return data


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(PhiAccessLoggedMixin, admin.ModelAdmin):
    form = WaitlistEntryForm
    phi_access_what = "waitlist_entry"
    list_display = ("patient", "appointment_type", "priority", "urgent", "manual_boost", "state", "number",
                    "joined_at")
    list_filter = (ActiveFilter, "urgent", "appointment_type", ProviderFilter, LocationFilter, TextingFilter)
    search_fields = ("patient__first_name", "patient__last_name", "=external_id", "=patient__external_id")
    list_select_related = ("patient__phone", "appointment_type")
    autocomplete_fields = ("patient", "providers", "locations", "current_appointment_provider",
                           "current_appointment_location")
    readonly_fields = ("priority", "priority_explained", "state", "joined_at", "consecutive_no_reply",
                       "last_activity_at", "texting", "thread")
    actions = ["boost", "mark_urgent", "deactivate", "reactivate_unresponsive"]
    inlines: list = []

    fieldsets = [
        (None, {"fields": ("patient", "appointment_type", "visit_minutes", "external_id", "notes")}),
        ("Priority", {"fields": ("priority", "priority_explained", "urgent", "manual_boost", "boost_reason")}),
        ("Current appointment", {"fields": ("current_appointment_at", "current_appointment_provider",
                                            "current_appointment_location")}),
        ("Preferences", {"fields": ("ready_from", "providers", "locations", "provider_kinds", "weekdays",
                                    "earliest_time", "latest_time", "min_notice_hours")}),
        ("State", {"fields": ("state", "joined_at", "consecutive_no_reply", "last_activity_at")}),
        ("Texting", {"fields": ("texting", "thread")}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [fs for fs in self.fieldsets if fs[0] not in ("State", "Texting")]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ("priority", "priority_explained")

    @admin.display(description="Number")
    def number(self, obj):
        return obj.patient.phone.masked

    @admin.display(description="State", ordering="active")
    def state(self, obj):
        return "active" if obj.active else f"inactive: {obj.get_inactive_reason_display()}"

    @admin.display(description="Why this priority")
    def priority_explained(self, obj):
        return breakdown(obj.priority_breakdown) if obj.pk else "Computed when saved."

    @admin.display(description="Texting")
    def texting(self, obj):
        return texting_state(obj.patient.phone)

    @admin.display(description="Messages with this number")
    def thread(self, obj):
        return render_thread(obj.patient.phone)

    def get_search_results(self, request, queryset, search_term):
        qs, distinct = super().get_search_results(request, queryset, search_term)
        return _search_last4(qs, queryset, search_term, "patient__phone__e164"), distinct

    def has_delete_permission(self, request, obj=None):
        # entries are deactivated (with a reason), never deleted
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in ENTRY_FORM_FIELDS if name in data}
        if "external_id" in fields:
            fields["external_id"] = fields["external_id"] or None
        if "boost_reason" in fields:
            fields["boost_reason"] = (fields["boost_reason"] or "").strip()
        if "provider_kinds" in data:
            fields["provider_kinds_mask"] = services.kinds_to_mask(data["provider_kinds"])
        if "weekdays" in data:
            fields["weekdays_mask"] = services.weekdays_to_mask(data["weekdays"])
        entry, _ = services.entry_save(
            actor=Actor.staff(request.user), patient=data["patient"],
            entry=WaitlistEntry.objects.get(pk=obj.pk) if change else None,
            providers=list(data["providers"]) if "providers" in data else None,
            locations=list(data["locations"]) if "locations" in data else None,
            **fields,
        )
        obj.pk = entry.pk
        obj.priority, obj.priority_breakdown, obj.joined_at = entry.priority, entry.priority_breakdown, entry.joined_at

    def save_related(self, request, form, formsets, change):
        # providers and locations were set by the service; inlines are read-only
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    # --- actions -------------------------------------------------------------------------------------

    def _may_change(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

    @admin.action(description="Boost priority (amount and reason)")
    def boost(self, request, queryset):
        self._may_change(request)
        form = BoostForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = Actor.staff(request.user)
            done = 0
            for pk in queryset.values_list("pk", flat=True):
                try:
                    services.entry_boost(entry_id=pk, amount=form.cleaned_data["amount"],
                                         reason=form.cleaned_data["reason"], actor=actor)
                    done += 1
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
            messages.success(request, f"Boost of {form.cleaned_data['amount']} set on {done} entr{'y' if done == 1 else 'ies'}.")
            return None
        return TemplateResponse(request, "admin/waitlist/waitlistentry/boost.html", {
            **self.admin_site.each_context(request),
            "title": "Boost priority",
            "opts": self.model._meta,
            "form": form,
            "entries": queryset.select_related("patient"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Mark urgent")
    def mark_urgent(self, request, queryset):
        self._may_change(request)
        actor = Actor.staff(request.user)
        for pk in queryset.values_list("pk", flat=True):
            services.entry_mark_urgent(entry_id=pk, urgent=True, actor=actor)
        messages.success(request, f"{queryset.count()} entr{'y' if queryset.count() == 1 else 'ies'} marked urgent.")

    @admin.action(description="Deactivate (take off the waitlist)")
    def deactivate(self, request, queryset):
        self._may_change(request)
        actor = Actor.staff(request.user)
        done = sum(
            services.entry_deactivate(entry_id=pk, reason=WaitlistEntry.InactiveReason.REMOVED, actor=actor,
                                      note="removed by staff in the console")
            for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(request, f"{done} entr{'y' if done == 1 else 'ies'} deactivated.")

    @admin.action(description="Re-activate unresponsive entries")
    def reactivate_unresponsive(self, request, queryset):
        self._may_change(request)
        actor = Actor.staff(request.user)
        ids = queryset.filter(active=False, inactive_reason=WaitlistEntry.InactiveReason.UNRESPONSIVE)
        done = sum(services.entry_reactivate(entry_id=pk, actor=actor) for pk in ids.values_list("pk", flat=True))
        skipped = queryset.count() - done
        messages.success(request, f"{done} entr{'y' if done == 1 else 'ies'} re-activated."
                         + (f" {skipped} skipped (not unresponsive)." if skipped else ""))
