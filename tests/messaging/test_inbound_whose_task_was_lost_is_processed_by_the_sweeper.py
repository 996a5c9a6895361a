"""An inbound text is stored, then acted on by a task. If that task is lost (the broker or the
worker died), the text stays unprocessed in the database and the sweeper acts on it, once."""

import pytest
from django.db import connection

from messaging.models import Message
from offers import services as offers
from offers.models import Cancellation

from .scenarios import slot_with_offers
from .twilio_requests import INBOUND, inbound_params, post_signed

pytestmark = pytest.mark.django_db


def test_a_yes_whose_processing_task_was_lost_is_booked_by_the_sweeper(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    post_signed(client, INBOUND, inbound_params(offer.phone.e164, "YES"))
    connection.run_on_commit = []  # the enqueued processing task never runs
    message = Message.objects.get(direction="inbound")
    assert message.processed_at is None
    clock.advance(seconds=11)
    assert offers.sweep()["reprocessed"] == 1
    settle()
    message.refresh_from_db()
    assert message.processed_at is not None and message.intent == "accept"
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert len([b for b in sms.bodies_to(offer.phone.e164) if "you are booked" in b]) == 1
    clock.advance(seconds=15)
    assert offers.sweep()["reprocessed"] == 0  # once
