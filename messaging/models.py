"""The wire: numbers and their consent, every message in and out, the sender's health.

This app never imports `offers`; links from offers to messages live on the offers side."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class PhoneNumber(models.Model):
    """An E.164 number. Consent and opt-out belong to the number, as they do at Twilio and under the TCPA."""

    class ConsentSource(models.TextChoices):
        WRITTEN = "written", "Written"
        VERBAL = "verbal", "Verbal"
        PORTAL = "portal", "Patient portal"
        SMS = "sms", "SMS keyword"
        IMPORT = "import", "EHR import"

    e164 = models.CharField("number", max_length=16, unique=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    consent_recorded_by = models.CharField(max_length=150, blank=True)
    consent_disclosure_version = models.CharField(max_length=20, blank=True)
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opted_out_source = models.CharField(max_length=20, blank=True)
    cannot_receive = models.BooleanField("cannot receive texts", default=False)
    cannot_receive_reason = models.CharField(max_length=60, blank=True)
    wrong_number_flagged = models.BooleanField(default=False)
    welcomed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["e164"]
        indexes = [
            # the few numbers that cannot be texted, read as a set by offers' exclusion summary
            # (a query with this exact condition) instead of a scan of every number
            models.Index(
                fields=["id"],
                condition=Q(consent_at__isnull=True) | Q(opted_out=True) | Q(cannot_receive=True),
                name="phone_untextable_idx",
            ),
        ]

    def __str__(self):
        return f"***{self.e164[-4:]}"

    @property
    def masked(self) -> str:
        return f"***{self.e164[-4:]}"

    @property
    def can_text(self) -> bool:
        return self.consent_at is not None and not self.opted_out and not self.cannot_receive


class ConsentEvent(models.Model):
    class Kind(models.TextChoices):
        OPT_IN = "opt_in", "Opt-in"
        OPT_OUT = "opt_out", "Opt-out"
        HELP = "help", "Help"
        CANNOT_RECEIVE = "cannot_receive", "Cannot receive texts"
        # the number's consent was someone else's (a "wrong number" reply): nobody's consent is on record
        CONSENT_CLEARED = "consent_cleared", "Consent cleared"

    class Source(models.TextChoices):
        KEYWORD = "keyword", "SMS keyword"
        STAFF = "staff", "Staff"
        CARRIER = "carrier", "Carrier error"
        IMPORT = "import", "Import"
        API = "api", "API"

    phone = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="consent_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    consent_source = models.CharField(max_length=10, blank=True)
    disclosure_version = models.CharField(max_length=20, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    message = models.ForeignKey("Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.kind} ({self.source}) {self.phone}"


# Provider delivery statuses, ranked so a callback only ever moves a message forward.
STATUS_RANK = {
    "": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "partially_delivered": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,
    "receiving": 1,
    "received": 5,
}
TERMINAL_FAILURES = {"undelivered", "failed"}


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class SendState(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    direction = models.CharField(max_length=8, choices=Direction.choices)
    phone = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="messages")
    patient = models.ForeignKey(
        "waitlist.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=30, blank=True, help_text="Template name for outbound, intent for inbound")
    template = models.CharField(max_length=60, blank=True)
    template_version = models.CharField(max_length=12, blank=True)
    language = models.CharField(max_length=2, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    encoding = models.CharField(max_length=6, blank=True)
    is_auto_reply = models.BooleanField(default=False)
    # our side of an outbound message, kept apart from the provider's delivery status
    send_state = models.CharField(max_length=8, choices=SendState.choices, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # when a send task was last enqueued, and when the sweeper last re-enqueued one as possibly lost:
    # a task merely waiting in a long queue is not copied again and again (docs/PERFORMANCE.md, section 5)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    requeued_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Not sent after this (an offer's hold)")
    respects_window = models.BooleanField(default=False)
    # the provider's side
    provider_sid = models.CharField(max_length=40, null=True, blank=True)
    status = models.CharField("delivery status", max_length=24, blank=True)
    status_rank = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    raw_params = models.JSONField(null=True, blank=True)
    # inbound handling
    intent = models.CharField(max_length=12, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    needs_attention = models.CharField(max_length=40, blank=True)
    attention_cleared_at = models.DateTimeField(null=True, blank=True)
    redacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # covers both inbound MessageSid and outbound provider sids (SM... ids are global)
            models.UniqueConstraint(fields=["provider_sid"], name="message_unique_provider_sid"),
            models.CheckConstraint(
                condition=Q(direction="inbound", send_state="") | Q(direction="outbound") & ~Q(send_state=""),
                name="message_send_state_matches_direction",
            ),
        ]
        indexes = [
            models.Index(fields=["send_state", "next_attempt_at"], name="message_outbox_idx"),
            models.Index(fields=["phone", "created_at"], name="message_thread_idx"),
        ]
        permissions = [("export_messages", "Can export messages as CSV")]

    def __str__(self):
        return f"{self.direction} {self.kind or 'text'} {self.phone}"


class StatusEvent(models.Model):
    """Every status callback received, once per (sid, status): callbacks come out of order and twice."""

    provider_sid = models.CharField(max_length=40)
    status = models.CharField(max_length=24)
    error_code = models.CharField(max_length=20, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="status_events")
    raw_params = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider_sid", "status"], name="status_event_once")]

    def __str__(self):
        return f"{self.provider_sid} {self.status}"


class SenderHealth(models.Model):
    """A single row: whether the whole sender is failing, and outreach is paused everywhere."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=200, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    failure_streak = models.PositiveIntegerField(default=0)
    last_failed_phone = models.ForeignKey(PhoneNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name_plural = "sender health"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sender_health_singleton")]

    def __str__(self):
        return "paused" if self.paused else "ok"
