from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.db import models

from clinicbot.clock import now

from .actors import Actor
from .models import AuditEvent


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
    if before is not None and after is not None:
        # Keep only what changed: the trail stays readable and small.
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    return AuditEvent.objects.create(
        at=now(),
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


def audit_access(*, actor: Actor, what: str, obj: models.Model | None = None, note: str = "") -> AuditEvent:
    return audit_record(actor=actor, action=f"view:{what}", obj=obj, note=note, kind=AuditEvent.Kind.ACCESS)


def heartbeat_beat(*, name: str, period_seconds: float) -> None:
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now(), "period_seconds": period_seconds})
