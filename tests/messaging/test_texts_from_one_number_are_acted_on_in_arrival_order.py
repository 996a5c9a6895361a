"""Texts from one number are acted on in the order they arrived, even when their processing tasks
run in another order (two workers, a retried task): a YES followed by a NO books the slot."""

import pytest

from messaging import services
from messaging.models import Message
from offers.models import Cancellation, Offer

from .scenarios import slot_with_offers
from .twilio_requests import inbound_params

pytestmark = pytest.mark.django_db


def test_a_yes_then_a_no_whose_tasks_run_in_reverse_books_the_slot(clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    yes, _ = services.inbound_record(params=inbound_params(offer.phone.e164, "YES"))
    clock.advance(seconds=2)
    no, _ = services.inbound_record(params=inbound_params(offer.phone.e164, "NO"))
    services.inbound_process(message_id=no.pk)  # the NO's task happens to run first
    settle()
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.ACCEPTED
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert services.inbound_process(message_id=yes.pk) == "already-processed"
    assert not Message.objects.filter(direction="inbound", processed_at__isnull=True).exists()


def test_texts_from_other_numbers_are_not_waited_for(clock, sms, settle):
    c, [first, second] = slot_with_offers(settle, patients=2)
    other, _ = services.inbound_record(params=inbound_params(first.phone.e164, "YES"))
    mine, _ = services.inbound_record(params=inbound_params(second.phone.e164, "YES"))
    services.inbound_process(message_id=mine.pk)
    settle()
    other.refresh_from_db()
    assert other.processed_at is None
    assert Offer.objects.get(pk=second.pk).status == Offer.Status.ACCEPTED
