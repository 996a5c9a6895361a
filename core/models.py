from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Append-only record of a state change or a PHI access, written in the same transaction."""

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        ACCESS = "access", "PHI access"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHANGE)
    actor_kind = models.CharField(max_length=10)
    actor_label = models.CharField(max_length=150)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class Heartbeat(models.Model):
    """Each background process stamps its row; /readyz checks it is within three periods."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()
    period_seconds = models.FloatField()

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%H:%M:%S}"
