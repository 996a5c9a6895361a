from __future__ import annotations

import datetime as dt
import decimal
import itertools
import logging
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Coalesce

from clinicbot.clock import now

from .actors import Actor
from .models import AuditEvent
from .prepared import PreparedInsert

# Mirrors each audit row into the logs for a security monitor: what, on which row, by whom. Never the
# before/after values or the note (they can hold names and free text).
audit_log = logging.getLogger("clinicbot.audit")
log = logging.getLogger(__name__)


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """Concrete field values of a row, JSON-ready (foreign keys as ids)."""
    out = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        out[f.attname] = _jsonable(getattr(instance, f.attname))
    return out


def snapshot_m2m(instance: models.Model) -> dict:
    """The row's many-to-many links (a provider's locations, say) as sorted ids, so two snapshots
    compare equal whatever order the links were added in. An unsaved row has none yet."""
    if instance.pk is None:
        return {}
    return {
        f.name: sorted(getattr(instance, f.name).values_list("pk", flat=True))
        for f in instance._meta.many_to_many
    }


# every staff and engine change writes one or more of these (core/prepared.py)
_AUDIT_INSERT = PreparedInsert(AuditEvent)


def _audit_event(
    *, actor: Actor, action: str, object_type: str, object_id, before: dict | None, after: dict | None, note: str,
    kind: str, at: dt.datetime,
) -> AuditEvent:
    """An unsaved audit row (one shape for `audit_record` and `audit_record_many`)."""
    if before is not None and after is not None:
        # Keep only what changed: the trail stays readable and small.
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    return AuditEvent(
        at=at,
        kind=kind,
        actor_kind=actor.kind,
        actor_label=actor.label[:150],
        actor_user_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        note=note[:300],
    )


def _log_after_commit(events: list[AuditEvent]) -> None:
    rows = [
        {"audit_id": e.pk, "audit_kind": e.kind, "action": e.action, "object_type": e.object_type,
         "object_id": e.object_id, "actor_kind": e.actor_kind, "actor": e.actor_label}
        for e in events
    ]

    def _log():
        for fields in rows:
            audit_log.info("audit %s %s#%s by %s", fields["action"], fields["object_type"], fields["object_id"],
                           fields["actor"], extra=fields)

    # logged once the rows are committed: a rolled-back change must not appear to have happened
    transaction.on_commit(_log)


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    kind: str = AuditEvent.Kind.CHANGE,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    event = _audit_event(actor=actor, action=action, object_type=object_type, object_id=object_id, before=before,
                         after=after, note=note, kind=kind, at=now())
    _AUDIT_INSERT.create([event])
    _log_after_commit([event])
    return event


def audit_record_many(*, actor: Actor, action: str, objs: list[models.Model], before: dict | None = None,
                      after: dict | None = None, note: str = "") -> int:
    """The same change to many rows (a wave's holds expiring, a slot's pending offers superseded): one
    audit row per object, as `audit_record` writes them, in one INSERT in the caller's transaction."""
    if not objs:
        return 0
    at = now()
    events = _AUDIT_INSERT.create([
        _audit_event(actor=actor, action=action, object_type=obj._meta.label_lower, object_id=obj.pk, before=before,
                     after=after, note=note, kind=AuditEvent.Kind.CHANGE, at=at)
        for obj in objs
    ])
    _log_after_commit(events)
    return len(events)


def audit_access(
    *,
    actor: Actor,
    what: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    note: str = "",
) -> AuditEvent:
    """A person looked at PHI: a patient's page, a message thread, an export (`what` says which)."""
    return audit_record(actor=actor, action=f"view:{what}", obj=obj, object_type=object_type, object_id=object_id,
                        note=note, kind=AuditEvent.Kind.ACCESS)


def api_key_issue(*, user, actor: Actor, rotate: bool = False) -> str | None:
    """A new API key for `user`, returned once: only its digest is stored, so it cannot be shown
    again. None when the user already has one and `rotate` is off; with `rotate`, the old keys stop
    working in the same transaction."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    with transaction.atomic():
        # two runs at once for one user queue on the user row, so they cannot both issue a key
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        existing = AuthToken.objects.filter(user=user)
        if existing.exists():
            if not rotate:
                return None
            existing.delete()
        _token, key = AuthToken.objects.create(user=user)
        audit_record(actor=actor, action="api_token.create", obj=user, note="rotated" if rotate else "")
    return key


def api_key_revoke(*, user, actor: Actor) -> int:
    """Delete the user's API keys (refused at once with 401). Returns how many there were."""
    from knox.models import AuthToken

    with transaction.atomic():
        n, _ = AuthToken.objects.filter(user=user).delete()
        if n:
            audit_record(actor=actor, action="api_token.revoke", obj=user)
    return n


def heartbeat_beat(*, name: str, period_seconds: float) -> None:
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now(), "period_seconds": period_seconds})


# --- retention (docs/SECURITY.md) -------------------------------------------------------------------
# Audit events and consent events are never touched here: HIPAA (45 CFR 164.316(b)(2)) asks for six
# years, and clinicbot deletes neither, ever. Only message bodies and raw webhook parameters (the
# free text and full numbers of each exchange) are redacted, and idle waitlist entries deactivated.

RETENTION_ACTOR = Actor.system("retention")


def retention_redact_messages(*, at: dt.datetime) -> dict[str, int]:
    """Blank the body and raw provider parameters of texts older than MESSAGE_BODY_RETENTION_DAYS.
    Metadata (direction, template and its version, status, timestamps, intent) stays, so what was
    sent, when and under which wording is still answerable. Idempotent; audited on every run."""
    from messaging.models import Message, StatusEvent

    days = settings.MESSAGE_BODY_RETENTION_DAYS
    cutoff = at - dt.timedelta(days=days)
    with transaction.atomic():
        messages = Message.objects.filter(created_at__lt=cutoff, redacted_at__isnull=True).update(
            body="", raw_params=None, redacted_at=at
        )
        status_events = StatusEvent.objects.filter(received_at__lt=cutoff, raw_params__isnull=False).update(
            raw_params=None
        )
        counts = {"messages": messages, "status_events": status_events}
        audit_record(
            actor=RETENTION_ACTOR, action="retention.redact_messages", object_type="retention",
            object_id=at.date().isoformat(), after={"cutoff": cutoff, "retention_days": days, **counts},
        )
    return counts


def retention_idle_entries(*, at: dt.datetime) -> dict[str, int]:
    """Waitlist entries with no activity for WAITLIST_RETENTION_DAYS: the number gets one "reply YES to
    stay on the list" text; a YES afterwards keeps its entries (activity set to the reply), no reply
    within 7 days deactivates them (reason `idle`). One text per number, whatever the number of idle
    entries or patients on it. Idempotent per day; audited on every run."""
    from clinicbot.sending_window import default_window
    from messaging import services as messaging
    from messaging.models import Message
    from messaging.services import STAY_ON_LIST_TEMPLATE, STAY_ON_LIST_WAIT
    from waitlist import services as waitlist
    from waitlist.models import WaitlistEntry

    days = settings.WAITLIST_RETENTION_DAYS
    cutoff = at - dt.timedelta(days=days)
    idle = (
        WaitlistEntry.objects.filter(active=True)
        .annotate(last_active=Coalesce("last_activity_at", "joined_at"))
        .filter(last_active__lt=cutoff)
        .select_related("patient__phone")
        .order_by("patient__phone_id", "id")
    )
    counts = {"asked": 0, "kept": 0, "deactivated": 0, "waiting": 0}
    for _phone_id, group in itertools.groupby(idle, key=lambda e: e.patient.phone_id):
        entries = list(group)
        phone = entries[0].patient.phone
        since = max(e.last_active for e in entries)
        with transaction.atomic():
            ask = (
                Message.objects.filter(
                    phone=phone, direction=Message.Direction.OUTBOUND, kind=STAY_ON_LIST_TEMPLATE,
                    created_at__gt=since, created_at__lte=at,
                )
                .order_by("-created_at")
                .first()
            )
            if ask is None:
                patients = {e.patient_id: e.patient for e in entries}
                languages = {p.language for p in patients.values()}
                sent = messaging.message_enqueue(
                    phone=phone, template=STAY_ON_LIST_TEMPLATE,
                    language=languages.pop() if len(languages) == 1 else "en",
                    patient=next(iter(patients.values())) if len(patients) == 1 else None,
                    not_before=default_window().next_open(at), respects_window=True,
                )
                if sent is not None:
                    audit_record(actor=RETENTION_ACTOR, action="retention.stay_on_list_asked", obj=phone,
                                 after={"entries": [e.pk for e in entries], "message": sent.pk})
                    counts["asked"] += 1
                    continue
                # opted out or cannot receive texts: nobody can be asked, so the entries end now
                counts["deactivated"] += _deactivate_idle(entries, waitlist, note="idle; number cannot be texted")
                continue
            reply = (
                Message.objects.filter(
                    phone=phone, direction=Message.Direction.INBOUND, intent="accept",
                    created_at__gt=ask.created_at, created_at__lte=at,
                )
                .order_by("created_at")
                .first()
            )
            if reply is not None:
                for entry in entries:
                    n = WaitlistEntry.objects.filter(pk=entry.pk, active=True).update(last_activity_at=reply.created_at)
                    if n == 1:
                        audit_record(
                            actor=Actor.patient(phone.e164), action="entry.retention_kept", obj=entry,
                            before={"last_activity_at": entry.last_activity_at},
                            after={"last_activity_at": reply.created_at}, note=f"YES to message {ask.pk}",
                        )
                        counts["kept"] += 1
            elif at >= (ask.sent_at or ask.created_at) + STAY_ON_LIST_WAIT and ask.send_state != Message.SendState.QUEUED:
                counts["deactivated"] += _deactivate_idle(entries, waitlist, note=f"no reply to message {ask.pk} in 7 days")
            else:
                counts["waiting"] += 1
    audit_record(
        actor=RETENTION_ACTOR, action="retention.idle_entries", object_type="retention",
        object_id=at.date().isoformat(), after={"cutoff": cutoff, "retention_days": days, **counts},
    )
    return counts


def _deactivate_idle(entries, waitlist, *, note: str) -> int:
    done = 0
    for entry in entries:
        done += waitlist.entry_deactivate(entry_id=entry.pk, reason="idle", actor=RETENTION_ACTOR, note=note)
    return done
