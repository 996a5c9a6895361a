import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as America/Chicago") from None


def default_time_zone() -> str:
    return settings.CLINIC_TIME_ZONE


class Location(models.Model):
    name = models.CharField(max_length=120)
    sms_name = models.CharField("SMS short name", max_length=20)
    time_zone = models.CharField(max_length=60, default=default_time_zone, validators=[validate_time_zone])
    address = models.CharField("address line for confirmations", max_length=200, blank=True)
    arrival_note = models.CharField(max_length=120, blank=True, default="Please arrive 15 minutes early.")
    # Spanish texts carry this one; blank leaves the note out of them rather than sending English
    arrival_note_es = models.CharField(
        "arrival note (Spanish)", max_length=120, blank=True, default="Por favor llegue 15 minutos antes."
    )
    sending_start = models.TimeField(null=True, blank=True, help_text="Overrides SENDING_HOURS start")
    sending_end = models.TimeField(null=True, blank=True, help_text="Overrides SENDING_HOURS end (exclusive)")
    cutoff_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Overrides OFFER_CUTOFF_MINUTES")
    discreet = models.BooleanField(default=False, help_text="Texts omit provider and clinic details")
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ClosureDate(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["location", "date"], name="closure_once_per_day")]

    def __str__(self):
        return f"{self.location} closed {self.date}"


class AppointmentType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    default_minutes = models.PositiveSmallIntegerField(default=20)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProviderKind(models.TextChoices):
    MD = "MD", "MD"
    DO = "DO", "DO"
    NP = "NP", "NP"
    PA = "PA", "PA"
    OTHER = "other", "Other"


# bit per provider kind, for a single-column "any of these kinds" filter
KIND_BITS = {k: 1 << i for i, k in enumerate(ProviderKind.values)}


class Provider(models.Model):
    name = models.CharField(max_length=120)
    sms_name = models.CharField("SMS short name", max_length=20)
    kind = models.CharField(max_length=5, choices=ProviderKind.choices)
    locations = models.ManyToManyField(Location, related_name="providers")
    appointment_types = models.ManyToManyField(AppointmentType, related_name="providers")
    active = models.BooleanField(default=True)
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Patient(models.Model):
    class Relationship(models.TextChoices):
        SELF = "self", "Self"
        GUARDIAN = "guardian", "Parent/guardian"
        CAREGIVER = "caregiver", "Caregiver"

    class Language(models.TextChoices):
        EN = "en", "English"
        ES = "es", "Spanish"

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    phone = models.ForeignKey("messaging.PhoneNumber", on_delete=models.PROTECT, related_name="patients")
    relationship = models.CharField(
        "relationship to the number", max_length=10, choices=Relationship.choices, default=Relationship.SELF
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class WaitlistEntry(models.Model):
    class InactiveReason(models.TextChoices):
        NONE = "", "Active"
        FULFILLED = "fulfilled", "Fulfilled"
        UNRESPONSIVE = "unresponsive", "Unresponsive"
        REMOVED = "removed", "Removed"
        DISCHARGED = "discharged", "Missing from EHR export"
        IDLE = "idle", "Idle past retention"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="entries")
    # No index of its own: `entry_selection_idx` leads with it. With a second index on the type,
    # SQLite's planner (no statistics) took the narrow one and sorted every candidate instead of
    # walking the list in rank order. On SQLite a query on inactive entries by type reads the table;
    # PostgreSQL has a plain index on the type besides (migration 0004, not declared here).
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    visit_minutes = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: any slot length fits")
    urgent = models.BooleanField(default=False)
    manual_boost = models.PositiveSmallIntegerField(default=0, validators=[MinValueValidator(0), MaxValueValidator(40)])
    boost_reason = models.CharField(max_length=200, blank=True)
    current_appointment_at = models.DateTimeField(null=True, blank=True)
    current_appointment_provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_appointment_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField()
    ready_from = models.DateField(null=True, blank=True)
    providers = models.ManyToManyField(Provider, blank=True, related_name="preferred_by")
    locations = models.ManyToManyField(Location, blank=True, related_name="preferred_by")
    provider_kinds_mask = models.PositiveSmallIntegerField(default=0, help_text="0 = any kind")
    weekdays_mask = models.PositiveSmallIntegerField(default=0, help_text="bit 0 = Monday; 0 = any day")
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    min_notice_hours = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    inactive_reason = models.CharField(max_length=14, choices=InactiveReason.choices, blank=True)
    inactive_at = models.DateTimeField(null=True, blank=True)
    # denormalised so the eligibility query needs no per-entry subqueries
    has_provider_prefs = models.BooleanField(default=False)
    has_location_prefs = models.BooleanField(default=False)
    # stored score: refreshed on every change and daily (its time parts move by the day)
    priority = models.IntegerField(default=0)
    priority_breakdown = models.JSONField(default=dict, blank=True)
    priority_on = models.DateField(null=True, blank=True)
    # The engine's cheap first test of the offer caps (offers.selectors.caps_bound): until this
    # instant the entry's number had reached a cap under the rule in `offer_caps_rule`. A lower
    # bound written with each wave, so selection skips capped numbers without counting their
    # offers; the exact counts are still checked for every entry it lets through.
    offer_capped_until = models.DateTimeField(null=True, blank=True, editable=False)
    offer_caps_rule = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)
    consecutive_no_reply = models.PositiveSmallIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name_plural = "waitlist entries"
        ordering = ["-priority", "joined_at"]
        constraints = [
            models.CheckConstraint(condition=Q(manual_boost__gte=0, manual_boost__lte=40), name="entry_boost_0_40"),
            models.CheckConstraint(
                condition=Q(active=True, inactive_reason="") | Q(active=False) & ~Q(inactive_reason=""),
                name="entry_inactive_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(earliest_time__isnull=True)
                | Q(latest_time__isnull=True)
                | Q(earliest_time__lte=models.F("latest_time")),
                name="entry_time_window_ordered",
            ),
        ]
        indexes = [
            # The one index on the entries' type. Led by the rank, so a wave's selection walks a type's
            # entries best first and stops at a full wave. Then every entry column selection and the
            # exclusion summary (offers.selectors) test, `active` included: SQLite tests them on the
            # index before it reads the row (most of a row is the priority breakdown), and counts an
            # unfilled slot's summary from the index alone. docs/PERFORMANCE.md, section 11.
            models.Index(
                fields=[
                    "appointment_type", "-priority", "joined_at", "active", "offer_capped_until", "offer_caps_rule",
                    "ready_from", "visit_minutes", "current_appointment_at", "min_notice_hours", "earliest_time",
                    "latest_time", "weekdays_mask", "provider_kinds_mask", "has_provider_prefs", "has_location_prefs",
                    "patient",
                ],
                condition=Q(active=True),
                name="entry_selection_idx",
            ),
        ]

    def __str__(self):
        return f"{self.patient} - {self.appointment_type}"

    def clean(self):
        if self.earliest_time and self.latest_time and self.earliest_time > self.latest_time:
            raise ValidationError({"latest_time": "The latest time must be after the earliest time."})
