from django.db import models
from django.db.models import Q

from core.templatetags.console import local


class Cancellation(models.Model):
    """A freed slot."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        OFFERING = "offering", "Offering"
        FILLED = "filled", "Filled"
        UNFILLED = "unfilled", "Unfilled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIVE = (Status.OPEN, Status.OFFERING, Status.FILLED)
    ACTIVE = (Status.OPEN, Status.OFFERING)

    class EndReason(models.TextChoices):
        NONE = "", "-"
        ACCEPTED = "accepted", "Accepted by SMS"
        BY_PHONE = "by_phone", "Filled by phone"
        CUTOFF = "cutoff", "Cutoff reached"
        EXHAUSTED = "exhausted", "Nobody eligible left"
        WITHDRAWN = "withdrawn", "Withdrawn by staff"

    provider = models.ForeignKey("waitlist.Provider", on_delete=models.PROTECT, related_name="cancellations")
    location = models.ForeignKey("waitlist.Location", on_delete=models.PROTECT, related_name="cancellations")
    appointment_type = models.ForeignKey("waitlist.AppointmentType", on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    paused = models.BooleanField("outreach paused", default=False)
    current_wave = models.PositiveSmallIntegerField(default=0)
    next_wave_at = models.DateTimeField(null=True, blank=True, help_text="When the engine next looks at this slot")
    reason = models.CharField(max_length=200, blank=True)
    logged_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    filled_at = models.DateTimeField(null=True, blank=True)
    filled_offer = models.OneToOneField(
        "Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="filled_cancellation"
    )
    filled_note = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ehr_booked_at = models.DateTimeField(null=True, blank=True)
    ehr_booked_by = models.CharField(max_length=150, blank=True)
    ehr_released_at = models.DateTimeField(null=True, blank=True)
    ehr_released_by = models.CharField(max_length=150, blank=True)
    chained_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="chained")
    exclusion_summary = models.JSONField(null=True, blank=True, help_text="Why entries were excluded, when unfilled")
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "start_at"],
                condition=Q(status__in=["open", "offering", "filled"]),
                name="one_live_cancellation_per_provider_start",
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="cancellation_positive_duration"),
            models.CheckConstraint(
                condition=~Q(status="filled") | Q(filled_at__isnull=False), name="cancellation_filled_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_wave_at"], name="cancellation_due_idx")]
        permissions = [("view_metrics", "Can view fill metrics"), ("view_board", "Can use the live board")]

    def __str__(self):
        # the location's wall time, as the front desk reads it (not the stored UTC)
        return f"{self.provider} {local(self.start_at, self.location)} ({self.get_status_display()})"


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        SUPERSEDED = "superseded", "Superseded"
        UNDELIVERABLE = "undeliverable", "Undeliverable"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cancellation = models.ForeignKey(Cancellation, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey("waitlist.WaitlistEntry", on_delete=models.PROTECT, related_name="offers")
    patient = models.ForeignKey("waitlist.Patient", on_delete=models.PROTECT, related_name="offers")
    phone = models.ForeignKey("messaging.PhoneNumber", on_delete=models.PROTECT, related_name="offers")
    wave = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING)
    score = models.IntegerField()
    score_breakdown = models.JSONField(default=dict)
    sent_at = models.DateTimeField(help_text="When the offer was made (its text queued)")
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    clarified = models.BooleanField(default=False, help_text="One clarification per offer")

    class Meta:
        ordering = ["cancellation", "wave", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["cancellation", "patient"], name="one_offer_per_cancellation_patient"),
            models.UniqueConstraint(
                fields=["phone"], condition=Q(status="pending"), name="one_pending_offer_per_phone"
            ),
            models.UniqueConstraint(
                fields=["cancellation"], condition=Q(status="accepted"), name="one_accepted_offer_per_cancellation"
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="offer_pending_expiry_idx"),
            models.Index(fields=["phone", "sent_at"], name="offer_phone_recent_idx"),
            # the offers that ended within the cooldown (selectors.busy_until)
            models.Index(fields=["ended_at"], name="offer_ended_idx"),
        ]

    def __str__(self):
        return f"Offer #{self.pk} wave {self.wave} ({self.status})"


class OfferMessage(models.Model):
    """Which texts belong to which offer (kept here: messaging never imports offers)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="offer_messages")
    message = models.OneToOneField("messaging.Message", on_delete=models.CASCADE, related_name="offer_link")
    role = models.CharField(max_length=20)

    def __str__(self):
        return f"{self.offer_id}:{self.role}"

