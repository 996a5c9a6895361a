from django.conf import settings
from django.db import models


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit row from the application."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The one change allowed: Django's SET_NULL when a staff user is deleted (the label keeps the
        # name). The PostgreSQL trigger allows exactly the same.
        if set(kwargs) <= {"actor_user", "actor_user_id"} and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    delete.queryset_only = True


class AuditEvent(models.Model):
    """Append-only record of a state change or a PHI access, written in the same transaction.

    Immutable at two levels: here (save() of an existing row, delete(), and queryset update/delete
    raise `AuditTrailIsAppendOnly`, on every database) and, on PostgreSQL, by a trigger
    (migration 0002) that refuses UPDATE and DELETE whoever issues them. Nothing in clinicbot deletes
    audit rows: retention redacts message bodies, never the trail (docs/SECURITY.md)."""

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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        base_manager_name = "objects"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


class Heartbeat(models.Model):
    """Each background process stamps its row; /readyz checks it is within three periods."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()
    period_seconds = models.FloatField()

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%H:%M:%S}"
