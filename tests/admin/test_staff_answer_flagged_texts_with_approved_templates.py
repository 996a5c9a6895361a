"""Staff may answer a flagged inbound text only with an approved template; the reply goes through
the outbox, the text is marked handled, and the audit trail says who sent what."""

import pytest

from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import Message
from messaging.staff_replies import STAFF_TEMPLATES

pytestmark = pytest.mark.django_db


def _flagged(clinic, settle, body="is this the dentist?", sid="d"):
    phone = clinic.patients[0].phone
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + sid * 32, "From": phone.e164, "Body": body})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    msg.refresh_from_db()
    assert msg.needs_attention
    return msg


def _reply(client, msg, template):
    return client.post(f"/admin/messaging/phonenumber/{msg.phone_id}/reply/", {"message": msg.pk, "template": template})


def test_an_approved_reply_is_sent_and_the_text_marked_handled(desk, clinic, settle, sms):
    msg = _flagged(clinic, settle)
    page = desk.get(f"/admin/messaging/phonenumber/{msg.phone_id}/change/").content.decode()
    for label in STAFF_TEMPLATES.values():
        assert label in page
    response = _reply(desk, msg, "staff_call_us")
    settle()
    assert response.status_code == 302
    msg.refresh_from_db()
    assert msg.attention_cleared_at is not None
    reply = Message.objects.filter(phone=msg.phone, kind="staff_call_us").get()
    assert reply.template == "en/staff_call_us"
    assert "Please call us at" in sms.bodies_to(msg.phone.e164)[-1]
    event = AuditEvent.objects.get(action="message.staff_reply")
    assert event.actor_user == desk.user and event.after["template"] == "staff_call_us"


def test_free_form_text_cannot_be_sent(desk, clinic, settle):
    msg = _flagged(clinic, settle)
    _reply(desk, msg, "anything I like")
    msg.refresh_from_db()
    assert msg.attention_cleared_at is None
    assert not Message.objects.filter(phone=msg.phone, kind__startswith="staff").exists()


def test_a_text_already_handled_gets_no_second_reply(desk, clinic, settle):
    msg = _flagged(clinic, settle)
    _reply(desk, msg, "staff_call_us")
    _reply(desk, msg, "staff_will_call")
    assert Message.objects.filter(phone=msg.phone, kind__startswith="staff").count() == 1


def test_an_opted_out_number_is_not_texted_and_stays_flagged(desk, clinic, settle):
    msg = _flagged(clinic, settle)
    messaging.phone_opt_out(phone=msg.phone, source="keyword", actor=_actor(desk))
    response = _reply(desk, msg, "staff_call_us")
    assert "cannot be texted" in desk.get(response["Location"]).content.decode()
    msg.refresh_from_db()
    assert msg.attention_cleared_at is None


def test_the_board_can_mark_a_text_handled(desk, clinic, settle):
    msg = _flagged(clinic, settle)
    desk.post(f"/admin/board/message/{msg.pk}/clear/")
    msg.refresh_from_db()
    assert msg.attention_cleared_at is not None
    assert AuditEvent.objects.filter(action="message.flag_clear", actor_user=desk.user).exists()
    assert f'data-message="{msg.pk}"' not in desk.get("/admin/").content.decode()


def test_staff_without_the_number_permission_cannot_reply(nobody, clinic, settle):
    msg = _flagged(clinic, settle)
    assert _reply(nobody, msg, "staff_call_us").status_code == 403
    assert nobody.post(f"/admin/board/message/{msg.pk}/clear/").status_code == 403
    msg.refresh_from_db()
    assert msg.attention_cleared_at is None


def _actor(client):
    from core.actors import Actor

    return Actor.staff(client.user)
