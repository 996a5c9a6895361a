"""Twilio reports 30003, 30005, 30007 ... only by status callback, on a text its API had accepted.
Such a text stayed `sent` and never reached the staff board, though the runbook tells staff what
each code needs: a booked patient whose confirmation bounced was never called."""

import pytest

from messaging import services
from messaging.selectors import messages_needing_attention
from tests.messaging.twilio_requests import STATUS, post_signed, status_params

pytestmark = pytest.mark.django_db


def test_a_text_twilio_reports_undelivered_is_on_the_list_until_handled(client, clock, sms, settle):
    sms.plays_provider = False
    phone = services.phone_get_or_create(raw="+13125550150")
    message = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    message.refresh_from_db()
    assert post_signed(client, STATUS, status_params(message.provider_sid, "undelivered", "30005")).status_code == 200
    assert message in list(messages_needing_attention())
    from core.actors import Actor

    assert services.message_flag_clear(message_id=message.pk, actor=Actor("staff", "desk"))
    assert message not in list(messages_needing_attention())


def test_a_delivered_text_is_not_on_the_list(client, clock, sms, settle):
    sms.plays_provider = False
    phone = services.phone_get_or_create(raw="+13125550151")
    message = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    message.refresh_from_db()
    post_signed(client, STATUS, status_params(message.provider_sid, "delivered"))
    assert message not in list(messages_needing_attention())


def test_the_board_names_the_callback_failure(client, clock, sms, settle):
    from offers.board_selectors import needs_attention

    sms.plays_provider = False
    phone = services.phone_get_or_create(raw="+13125550152")
    message = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    message.refresh_from_db()
    post_signed(client, STATUS, status_params(message.provider_sid, "undelivered", "30007"))
    [item] = [item for item in needs_attention(at=clock.current) if item.message.pk == message.pk]
    assert item.why == "undelivered (30007)"
