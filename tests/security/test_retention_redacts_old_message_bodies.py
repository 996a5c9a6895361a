"""After MESSAGE_BODY_RETENTION_DAYS, message bodies and raw webhook parameters are blanked; the
metadata, template version, audit trail and consent records stay."""

import datetime as dt

import pytest

from core.models import AuditEvent
from core.services import retention_redact_messages
from messaging import services as messaging
from messaging.models import ConsentEvent, Message, StatusEvent
from tests import factories as f
from tests.conftest import T0

from .conftest import INBOUND, STATUS

pytestmark = pytest.mark.django_db

METADATA = ("direction", "kind", "template", "template_version", "language", "segments", "encoding", "status",
            "provider_sid", "intent", "created_at", "sent_at", "phone_id", "patient_id")


def _exchange(patient, sid_digit, settle, post_signed):
    """One outbound text with its status callback, and one inbound reply, through the real paths."""
    out = messaging.message_enqueue(phone=patient.phone, template="help", patient=patient)
    settle()
    out.refresh_from_db()
    post_signed(STATUS, {"MessageSid": out.provider_sid, "MessageStatus": "read", "To": patient.phone.e164})
    post_signed(INBOUND, {"MessageSid": "SM" + sid_digit * 32, "From": patient.phone.e164, "Body": "maybe later"})
    settle()
    out.refresh_from_db()
    return out, Message.objects.get(provider_sid="SM" + sid_digit * 32)


def _rows(model):
    return [tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.order_by("pk").values()]


def test_old_bodies_and_raw_params_are_blanked_and_metadata_kept(clock, settle, post_signed, settings):
    settings.MESSAGE_BODY_RETENTION_DAYS = 90
    patient = f.patient()
    clock.set(T0 - dt.timedelta(days=100))
    old_out, old_in = _exchange(patient, "1", settle, post_signed)
    clock.set(T0 - dt.timedelta(days=10))
    new_out, new_in = _exchange(patient, "2", settle, post_signed)
    assert old_in.raw_params and old_in.body == "maybe later"
    old_meta = {m.pk: {k: getattr(m, k) for k in METADATA} for m in (old_out, old_in)}
    audit_before, consent_before = _rows(AuditEvent), _rows(ConsentEvent)
    old_ids = set(Message.objects.filter(created_at__lt=T0 - dt.timedelta(days=90)).values_list("pk", flat=True))
    assert {old_out.pk, old_in.pk} <= old_ids  # (and the generic answer to the inbound text)
    clock.set(T0)

    counts = retention_redact_messages(at=T0)

    assert counts == {"messages": len(old_ids), "status_events": 1}
    assert set(Message.objects.filter(body="", redacted_at=T0).values_list("pk", flat=True)) == old_ids
    for m in (old_out, old_in):
        m.refresh_from_db()
        assert m.body == "" and m.raw_params is None and m.redacted_at == T0
        assert {k: getattr(m, k) for k in METADATA} == old_meta[m.pk]
    assert old_out.template_version
    assert StatusEvent.objects.get(provider_sid=old_out.provider_sid, status="read").raw_params is None
    for m in (new_out, new_in):
        m.refresh_from_db()
        assert m.body and m.redacted_at is None
    assert new_in.raw_params["Body"] == "maybe later"
    assert StatusEvent.objects.get(provider_sid=new_out.provider_sid, status="read").raw_params
    # the trail and the consent records are untouched; the run itself is recorded
    assert _rows(AuditEvent)[: len(audit_before)] == audit_before
    assert _rows(ConsentEvent) == consent_before
    run = AuditEvent.objects.get(action="retention.redact_messages")
    assert run.actor_kind == "system" and run.after["messages"] == len(old_ids) and run.after["retention_days"] == 90


def test_a_second_run_redacts_nothing_more_but_is_still_audited(clock, settle, post_signed):
    patient = f.patient()
    clock.set(T0 - dt.timedelta(days=100))
    _exchange(patient, "3", settle, post_signed)
    clock.set(T0)
    assert retention_redact_messages(at=T0)["messages"] >= 2
    assert retention_redact_messages(at=T0 + dt.timedelta(days=1)) == {"messages": 0, "status_events": 0}
    assert AuditEvent.objects.filter(action="retention.redact_messages").count() == 2


def test_years_of_retention_runs_never_remove_audit_or_consent_rows(clock, settle, post_signed):
    patient = f.patient()
    _exchange(patient, "4", settle, post_signed)
    messaging.phone_opt_out(phone=patient.phone, source="keyword", actor=f.STAFF)
    audit_before, consent_before = _rows(AuditEvent), _rows(ConsentEvent)
    seven_years = T0 + dt.timedelta(days=7 * 366)
    clock.set(seven_years)
    retention_redact_messages(at=seven_years)
    assert _rows(AuditEvent)[: len(audit_before)] == audit_before
    assert _rows(ConsentEvent) == consent_before
