"""Twilio retries a webhook it got no answer to: a repeated MessageSid returns the same answer and
changes nothing (no second booking, reply, opt-out event or stored row)."""

import pytest

from core.models import AuditEvent
from messaging import services
from messaging.models import ConsentEvent, Message
from offers.models import Cancellation, Offer

from .scenarios import slot_with_offers
from .twilio_requests import INBOUND, inbound_params, post_signed

pytestmark = pytest.mark.django_db


def _world():
    return (
        Message.objects.count(),
        list(Message.objects.order_by("pk").values_list("pk", "intent", "processed_at", "needs_attention")),
        list(Offer.objects.order_by("pk").values_list("pk", "status")),
        ConsentEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_replayed_yes_books_once_and_confirms_once(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    params = inbound_params(offer.phone.e164, "Yes")
    first = post_signed(client, INBOUND, params)
    settle()
    before = _world()
    replay = post_signed(client, INBOUND, params)
    settle()
    assert (replay.status_code, replay.content, replay["Content-Type"]) == (
        first.status_code, first.content, first["Content-Type"])
    assert _world() == before
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    confirmations = [b for b in sms.bodies_to(offer.phone.e164) if "you are booked" in b]
    assert len(confirmations) == 1


def test_a_replayed_stop_opts_out_once_and_confirms_once(client, clock, sms, settle):
    params = inbound_params("+13125550142", "STOP")
    post_signed(client, INBOUND, params)
    settle()
    before = _world()
    post_signed(client, INBOUND, params)
    post_signed(client, INBOUND, params)
    settle()
    assert _world() == before
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.OPT_OUT).count() == 1
    assert len(sms.bodies_to("+13125550142")) == 1


def test_a_replay_of_a_text_whose_processing_crashed_processes_it_once(client, clock, sms, settle):
    params = inbound_params("+13125550143", "HELP")
    # the first delivery was stored, then the process died before acting on it
    message, created = services.inbound_record(params=params)
    assert created and message.processed_at is None
    post_signed(client, INBOUND, params)
    post_signed(client, INBOUND, params)
    settle()
    message.refresh_from_db()
    assert message.processed_at is not None and message.intent == "help"
    assert Message.objects.filter(direction="inbound").count() == 1
    assert len(sms.bodies_to("+13125550143")) == 1


def test_processing_an_inbound_text_twice_acts_once(clock, sms, settle):
    message, _ = services.inbound_record(params=inbound_params("+13125550144", "STOP"))
    assert services.inbound_process(message_id=message.pk) == "opt_out"
    assert services.inbound_process(message_id=message.pk) == "already-processed"
    settle()
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.OPT_OUT).count() == 1
    assert len(sms.bodies_to("+13125550144")) == 1
