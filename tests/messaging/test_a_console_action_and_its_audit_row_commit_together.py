"""The board's "Resume outreach" and "Handled" used to commit their change, then write the audit row
in a second transaction: a failure in between (a restart, a timeout) kept the change with no record
of who made it."""

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.models import Message, SenderHealth
from tests import factories as f

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _fail(*args, **kwargs):
    raise Boom("audit insert failed")


def test_sender_resume_is_not_kept_without_its_audit_row(clock, monkeypatch):
    messaging.sender_pause(reason="carrier trouble")
    monkeypatch.setattr(messaging, "audit_record", _fail)
    with pytest.raises(Boom):
        messaging.sender_resume(actor=Actor("staff", "manager"))
    assert SenderHealth.objects.get(pk=1).paused


def test_sender_pause_is_not_kept_without_its_audit_row(clock, monkeypatch):
    monkeypatch.setattr(messaging, "audit_record", _fail)
    with pytest.raises(Boom):
        messaging.sender_pause(reason="carrier trouble")
    assert not SenderHealth.objects.get(pk=1).paused


def test_marking_a_text_handled_is_not_kept_without_its_audit_row(clock, monkeypatch):
    patient = f.patient()
    m = Message.objects.create(direction="inbound", phone=patient.phone, body="who is this",
                               needs_attention="unrecognised", created_at=clock.current)
    monkeypatch.setattr(messaging, "audit_record", _fail)
    with pytest.raises(Boom):
        messaging.message_flag_clear(message_id=m.pk, actor=Actor("staff", "desk"))
    m.refresh_from_db()
    assert m.attention_cleared_at is None
